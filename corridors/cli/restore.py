"""``corridors restore``: where restoring cells would raise connectivity most (Barrier Mapper, circuit sensitivity, Linkage Priority)."""

from __future__ import annotations

import click


@click.group("restore")
def restore_cmd() -> None:
    """Where to restore: score every cell by the connectivity its restoration would bring.

    barriers: Linkage Mapper's Barrier Mapper (drop in least-cost distance per
    unit restored); sensitivity: derivative of effective resistance (and EC)
    with respect to each cell's conductance; priority: Linkage Mapper 3's
    Linkage Priority; sites: ranked restoration sites from a score surface.
    """
