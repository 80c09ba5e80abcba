"""The analyses of the main job, one module per step, each a function returning a result with ``.write(outdir)``.

Every analysis is what its ``corridors`` subcommand runs: ``run_<step>(...)``
takes data and parameters (never a click context), returns a result object,
and the result's ``write(outdir)`` writes the step's files, its
``<step>_map.png`` and ``provenance.json`` (inputs with their SHA-256,
parameters, package versions). Import the step modules directly
(``from corridors.analyses import linkages``); this package imports none of
them, so using one step does not load the others.
"""
