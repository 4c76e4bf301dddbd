from django.urls import path

from vocloud.vo import views, vosi

app_name = "vo"
ENDPOINTS = [
    ("ssa", views.SsaView, "ssa"),
    ("candidates/<str:job_id>", views.CandidatesView, "candidates"),
    ("datalink", views.DatalinkView, "datalink"),
    ("soda", views.SodaView, "soda"),
    ("this", views.ThisView, "this"),
    ("preview", views.PreviewView, "preview"),
    ("capabilities", vosi.CapabilitiesView, "capabilities"),
    ("availability", vosi.AvailabilityView, "availability"),
]
# Each endpoint twice: for clients that authenticate, and under a capability for those that
# cannot (vocloud/vo/capability.py).
urlpatterns = [
    *(path(where, view.as_view(), name=name) for where, view, name in ENDPOINTS),
    *(
        path(f"c/<str:cap>/{where}", view.as_view(), name=f"{name}-cap")
        for where, view, name in ENDPOINTS
    ),
]
