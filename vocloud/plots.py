"""Pages that draw Bokeh plots (services/plots.py makes them, templates/plots/ embeds them)."""

from django.conf import settings
from django.views.decorators.csp import csp_override

# The page CSP plus 'unsafe-eval' for regl, BokehJS's WebGL layer (see settings.py); only
# for views whose pages draw plots.
plot_page = csp_override(settings.VOCLOUD_CSP_PLOT_PAGES)
