from django.urls import path

from vocloud.portal import ssap, views

app_name = "portal"
job = "jobs/<str:kind>/<str:job_id>"
urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/new/<str:kind>/", views.new_job, name="new_job"),
    path(job + "/", views.job_detail, name="job"),
    path(job + "/status.json", views.job_status, name="job_status"),
    path(job + "/<str:action>/", views.job_action, name="job_action"),
    path("ssap/", ssap.ssap_preview, name="ssap"),
    path("kinds/", views.kind_list, name="kinds"),
    path("kinds/<str:kind>/", views.kind_detail, name="kind"),
]
