"""Pictures of femstack results: PyVista field plots, matplotlib charts, an HTML report.

- :mod:`femstack.viz.results` reads a results folder back (tables and VTU fields);
- :mod:`femstack.viz.fields` draws fields in the (r, z) plane with PyVista;
- :mod:`femstack.viz.charts` draws charts of the lumped results with matplotlib;
- :mod:`femstack.viz.standard` writes the standard set of pictures of a run;
- :mod:`femstack.viz.html` writes a self-contained HTML report.
"""
