"""All TF1 probes, by name. Imported by the worker only (``Suite.probes_module``)."""

from __future__ import annotations

from autograder.probes.common import probes_data, probes_report
from autograder.probes.tf1 import probes_bn, probes_graph
from autograder.probes.tf2.probes import (  # noqa: F401 - the same worker setup
    global_state,
    prepare_worker,
    seed_child,
)

PROBES = {
    **probes_data.PROBES,
    **probes_report.PROBES,
    **probes_graph.PROBES,
    **probes_bn.PROBES,
}
