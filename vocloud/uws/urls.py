from django.urls import path

from vocloud.uws import signed, views, vosi

app_name = "uws"
job = "<str:kind>/async/<str:job_id>"
urlpatterns = [
    path("signed/<str:token>", signed.signed_result, name="signed_result"),
    path("<str:kind>/capabilities", vosi.CapabilitiesView.as_view(), name="capabilities"),
    path("<str:kind>/availability", vosi.AvailabilityView.as_view(), name="availability"),
    path("<str:kind>/async", views.JobListView.as_view(), name="jobs"),
    path(job, views.JobView.as_view(), name="job"),
    path(f"{job}/phase", views.PhaseView.as_view(), name="phase"),
    path(
        f"{job}/executionduration", views.ExecutionDurationView.as_view(), name="executionduration"
    ),
    path(f"{job}/destruction", views.DestructionView.as_view(), name="destruction"),
    path(f"{job}/error", views.ErrorView.as_view(), name="error"),
    path(f"{job}/quote", views.QuoteView.as_view(), name="quote"),
    path(f"{job}/owner", views.OwnerView.as_view(), name="owner"),
    path(f"{job}/parameters", views.ParametersView.as_view(), name="parameters"),
    path(f"{job}/parameters/<str:name>", views.ParameterView.as_view(), name="parameter"),
    path(f"{job}/results", views.ResultsView.as_view(), name="results"),
    path(f"{job}/results/<str:result_id>", views.ResultView.as_view(), name="result"),
]
