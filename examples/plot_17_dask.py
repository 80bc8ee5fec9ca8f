"""
Beyond one machine: the same call on a Dask cluster
===================================================

When a table outgrows one machine, too many rows for its memory or for its
hours, the work splits by rows: the attributions of a row depend on that row,
the model and the baseline, and on no other row. So any engine that runs a
function on blocks of rows, on many machines, can run
:func:`calhouse.attribute_dataset` as it is, and calhouse needs to know
nothing about it. This example uses `Dask <https://docs.dask.org>`__:
:func:`dask.array.map_blocks` runs the call on each block of a table, on the
workers of a :class:`distributed.Client`, with a
:class:`~distributed.deploy.local.LocalCluster` standing in for a real
cluster. You will learn how to send the model to the
workers, that the result is the single-machine one, why a random method
needs a seed per block and what that changes, and what changes on a real
cluster (nothing in the code but the line that connects to it).

Dask is not one of calhouse's dependencies: ``pip install -c constraints.txt
dask distributed``, with the site's ``constraints.txt``, installs the versions
this page was built with.
"""

# %%
# The model, the table, and the result on one machine
# ---------------------------------------------------
# The model trained on all of California and the 20,640 districts, as in the
# example on every district, with the average district as the baseline. A
# table this size needs no cluster: it stands in for one that does, and keeps
# this page quick to build. First, the result on one machine.
import logging

import dask.array as da
import numpy as np
import torch
from distributed import Client, LocalCluster

import calhouse

model = calhouse.load_or_train_model("full")
X = torch.from_numpy(calhouse.load_california().X).float()
one_machine = calhouse.attribute_dataset(
    model, X, "integrated_gradients", baselines=model.mean
).numpy()
print(f"table {tuple(X.shape)}, attributions {one_machine.shape}")

# %%
# A cluster on this machine
# -------------------------
# A :class:`~distributed.deploy.local.LocalCluster` starts a scheduler and
# its workers on this machine; a :class:`~distributed.Client` connected to it
# sends them the work. With ``processes=False`` they are threads of this
# Python process, which talk in memory: the cluster starts at once and listens
# on no network port; ``dashboard_address=None`` leaves out its web page of
# diagnostics, which would need one. ``silence_logs=logging.ERROR`` keeps its
# routine warnings, such as a slow event loop on a busy machine, off this
# page. Worker processes (``processes=True``, the default) would be closer to
# a real cluster, but each would import torch and calhouse anew, and a script
# that starts them must keep its code under ``if __name__ == "__main__":``
# (Python starts them by running the script again).
#
# One worker with one thread, because :func:`calhouse.attribute_dataset`
# spreads each call over the machine's cores itself, and while it runs it
# changes settings of torch that hold for its whole process (the number of
# threads; the random generators, for random methods): two calls must not
# run side by side in one process. On a real cluster, each worker is a
# process of its own, with one thread.
cluster = LocalCluster(
    n_workers=1,
    threads_per_worker=1,
    processes=False,
    dashboard_address=None,
    silence_logs=logging.ERROR,
)
client = Client(cluster)
workers = client.nthreads()
print(f"{len(workers)} worker, {sum(workers.values())} thread")
# sphinx_gallery_start_ignore
from page_checks import check

check(
    cluster.scheduler_address.startswith("inproc://")
    and all(address.startswith("inproc://") for address in workers),
    "they are threads of this Python process, which talk in memory: the cluster "
    "listens on no network port",
    scheduler=cluster.scheduler_address,
)
# sphinx_gallery_end_ignore

# %%
# Blocks of rows, and the call on each
# ------------------------------------
# :func:`dask.array.from_array` cuts the table into blocks of rows, all
# columns in each. The function for one block is the single-machine call; it
# gets the block as a NumPy array and returns one. It copies the block into a
# tensor, since a block that came over the network may be read-only.
#
# The model goes to the workers once, with :meth:`distributed.Client.scatter`
# (``broadcast=True``: to every worker), rather than with every task.
# :func:`~dask.array.map_blocks` then runs the function on each block, with
# the model as its second argument, and ``.compute()`` gathers the blocks'
# results into one array.
blocks = da.from_array(X.numpy(), chunks=(2_580, 8))
print(f"{blocks.numblocks[0]} blocks of {blocks.chunks[0][0]:,} rows")


def explain_block(block, model):
    """Integrated Gradients for one block of rows: the single-machine call."""
    rows = torch.tensor(block)
    attributions = calhouse.attribute_dataset(
        model, rows, "integrated_gradients", baselines=model.mean, progress=False
    )
    return attributions.numpy()


model_on_workers = client.scatter(model, broadcast=True)
on_cluster = blocks.map_blocks(explain_block, model_on_workers, dtype=np.float32)
on_cluster = on_cluster.compute()
largest = np.abs(one_machine).max()
difference = np.abs(on_cluster - one_machine).max() / largest
print(f"largest difference from one machine, relative to its largest: {difference:.0e}")
# sphinx_gallery_start_ignore
check(
    on_cluster.shape == one_machine.shape and 0 < difference < 1e-5,
    "The same numbers as on one machine, up to the rounding of float32 arithmetic, "
    "though not to the last bit",
    difference=difference,
)
# The explanation, on the first two blocks: whole chunks give every bit.
two_blocks = X[: 2 * 2_580]


def blockwise(batch_size):
    return [
        calhouse.attribute_dataset(
            model,
            rows,
            "integrated_gradients",
            baselines=model.mean,
            batch_size=batch_size,
        )
        for rows in (two_blocks, two_blocks[:2_580], two_blocks[2_580:])
    ]


whole, first, second = blockwise(129)
check(
    torch.equal(whole, torch.cat([first, second])),
    "With batch_size=129, which divides the blocks' 2,580 rows, the chunks would be "
    "the same, and so would every bit",
)
# sphinx_gallery_end_ignore

# %%
# The same numbers as on one machine, up to the rounding of float32
# arithmetic, though not to the last bit: the engine cuts each block into
# chunks of rows that start at the block's first row, so that the chunks, and
# with them the sizes of the matrix products, differ from one machine's, and
# the routines that multiply matrices may add a row's terms in another order
# for another size. (With ``batch_size=129``, which divides the blocks'
# 2,580 rows, the chunks would be the same, and so would every bit.)
#
# Random methods: a seed per block
# --------------------------------
# GradientShap draws, for every row, baselines from reference rows (here the
# training districts) and points between them and the row. On one machine,
# the engine makes Captum's draws for the whole table at once, from one seed.
# On a cluster each call draws for its own block only, so give each block a
# seed of its own: its number, which :func:`~dask.array.map_blocks` passes as
# ``block_id`` to a function that takes it. One seed for every block would
# give blocks of equal size the same draws.
references = calhouse.load_split(n_samples=None).X_train


def gradient_shap_block(block, model, references, block_id=None):
    """GradientShap for one block of rows, seeded by the block's number."""
    attributions = calhouse.attribute_dataset(
        model,
        torch.tensor(block),
        "gradient_shap",
        baselines=references,
        seed=block_id[0],
        progress=False,
    )
    return attributions.numpy()


references_on_workers = client.scatter(references, broadcast=True)
runs = [
    blocks.map_blocks(
        gradient_shap_block, model_on_workers, references_on_workers, dtype=np.float32
    ).compute()
    for _ in range(2)
]
one_machine_shap = calhouse.attribute_dataset(
    model, X, "gradient_shap", baselines=references, seed=0
).numpy()
print(f"two runs on the cluster give the same numbers: {np.array_equal(*runs)}")
row_change = np.abs(runs[0] - one_machine_shap).sum(1) / np.abs(one_machine_shap).sum(1)
median_change = np.median(row_change)
print(f"rows' attributions, cluster vs one machine: median change {median_change:.0%}")
mean_cluster = np.abs(runs[0]).mean(0)
mean_one = np.abs(one_machine_shap).mean(0)
mean_change = np.abs(mean_cluster - mean_one).max() / mean_one.max()
print(
    f"mean |attribution| per feature: largest change {mean_change:.1%} of the largest"
)
# sphinx_gallery_start_ignore
check(
    np.array_equal(*runs),
    "the same blocks with the same seeds give the same numbers again",
)
check(
    median_change > 0.2 and mean_change < 0.02,
    "the numbers of each row differ from the single-machine call's, yet the averages "
    "over the table agree",
    median_change=median_change,
    mean_change=mean_change,
)
# sphinx_gallery_end_ignore

# %%
# The same blocks with the same seeds give the same numbers again. But other
# draws than on one machine: the numbers of each row differ from the
# single-machine call's, as much as one estimate of GradientShap (5 samples
# per row) differs from another, yet the averages over the table agree. For a
# random method, the result depends on how the table is cut into blocks and
# on their seeds, so record both with it; a result that did not would need
# draws made per row (each row's from a generator of its own), which is not
# how Captum draws, and so not how the engine does.
#
# The cluster has done its work: close the client and the cluster.
client.close()
cluster.close()
# sphinx_gallery_start_ignore
import dask
import distributed
from build_checks import pins

pinned = (pins()["dask"], pins()["distributed"])
check(
    pinned == (dask.__version__, distributed.__version__),
    "constraints.txt installs the versions [of dask and distributed] this page was "
    "built with",
    pinned=pinned,
)
environ = dask.config.get("distributed.nanny.pre-spawn-environ")
check(
    cluster.status.name == "closed" and environ["OMP_NUM_THREADS"] == 1,
    "Worker processes started by Dask's nannies run torch on one thread each "
    "(OMP_NUM_THREADS=1)",
    status=cluster.status,
    environ=environ,
)
# sphinx_gallery_end_ignore

# %%
# On a real cluster
# -----------------
# Only the lines that make the cluster change. A Dask cluster runs a
# scheduler on one machine and workers on the others, started with Dask's
# command line (or by a batch system or Kubernetes, below), and the client
# connects to the scheduler's address instead of starting a
# :class:`~distributed.deploy.local.LocalCluster`::
#
#     # on one machine:   dask scheduler
#     # on each other:    dask worker tcp://scheduler:8786 --nworkers 8 --nthreads 1
#     client = Client("tcp://scheduler:8786")
#
# On a batch system, `dask-jobqueue <https://jobqueue.dask.org>`__ submits the
# workers as jobs (``SLURMCluster(cores=8, processes=8, memory="16GB")``, then
# ``cluster.scale(jobs=10)`` and ``Client(cluster)``); on Kubernetes,
# `dask-kubernetes <https://kubernetes.dask.org>`__ does the same with pods.
# Everything after ``Client(...)`` above runs unchanged. What to mind:
#
# * **One thread per worker process** (``--nthreads 1``), as many processes
#   as cores: each call then has a process to itself. Worker processes
#   started by Dask's nannies run torch on one thread each
#   (``OMP_NUM_THREADS=1``), so the cores are used by the processes.
# * **The same software everywhere**: calhouse, PyTorch and Captum at the
#   versions of ``constraints.txt`` on every worker, since each unpickles the
#   model and runs the call.
# * **The model**: ``client.scatter(model, broadcast=True)`` sends a copy to
#   every worker, fine for networks of a few megabytes. A large one is better
#   saved where every worker can read it, and loaded there, once per worker
#   (a function that loads it, cached with ``functools.cache``).
# * **The data**: a real table is read by the workers, each its own blocks
#   (``dask.array.from_zarr``, or ``dask.dataframe.read_parquet`` then
#   ``.to_dask_array(lengths=True)``), not sent from the client. Results that
#   outgrow the client go back to storage (``.to_zarr(...)``) instead of
#   ``.compute()``.
# * **Blocks**: large enough that a task's overhead (milliseconds) does not
#   matter, small enough for a worker's memory (the block, its attributions,
#   and one chunk of the engine's work per core).
# * **Numbers**: machines with other processors may round differently in the
#   last bits, as any two machines may; random methods depend on the blocks
#   and their seeds, as above.
