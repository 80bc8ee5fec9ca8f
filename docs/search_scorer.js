/*
 * calhouse's search ranking (conf.py: html_search_scorer; Sphinx puts it in
 * language_data.js, which the search page loads).
 *
 * Sphinx scores a page that merely mentions a word (an API page whose docstring
 * names DeepLift, say) the same as the example that teaches it. Here the
 * examples come first, the earliest in reading order first, since the gallery
 * introduces each method before later pages build on it; a title match still
 * outranks a mention. A search for an API name itself (load_california) leads
 * to its API page.
 */
var Scorer = {
  score: (result) => {
    const [docname, title, anchor, descr, score, filename, kind] = result;
    const query = (new URLSearchParams(window.location.search).get("q") || "")
      .trim()
      .toLowerCase();
    const name = (title || "").toLowerCase();
    if (kind === "object" && (name === query || name.endsWith("." + query))) {
      return score + 40;
    }
    const example = /^auto_examples\/plot_(\d+)/.exec(docname);
    if (example) return score + 20 - Number(example[1]) / 1000;
    return score;
  },
  // Sphinx's defaults (searchtools.js keeps its own only when no Scorer is defined).
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};

/*
 * Result snippets: Sphinx takes a page's text with textContent, which runs
 * together the words of neighbouring elements ("baselines" and "torch.Tensor"
 * of a parameter list give "baselinestorch.Tensor"). Each element that starts
 * or ends a word on screen gets a space around it first.
 */
(() => {
  const WORD_BREAKS =
    "p, li, dt, dd, td, th, tr, pre, div, section, table, h1, h2, h3, h4, h5, h6, " +
    "blockquote, figcaption, br, span.classifier";
  const patch = () => {
    if (typeof Search === "undefined" || Search.calhouseSpaced) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(WORD_BREAKS).forEach((element) => {
        element.before(" ");
        element.after(" ");
      });
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    Search.calhouseSpaced = true;
  };
  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
