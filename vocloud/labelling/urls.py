from django.urls import path

from vocloud.labelling import check_views, review_views, views

app_name = "labelling"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("signed/<str:token>/", views.signed_sample, name="signed_sample"),
    path("<int:session_id>/", views.session_detail, name="session"),
    path("<int:session_id>/labels/", views.labels_api, name="labels"),
    path("<int:session_id>/undo/", views.undo_api, name="undo"),
    path("<int:session_id>/rounds/", views.round_start, name="round_start"),
    path("<int:session_id>/rounds/propose/", views.round_propose, name="round_propose"),
    path("<int:session_id>/rounds/<int:number>/", views.label_view, name="label"),
    path("<int:session_id>/rounds/<int:number>/status/", views.round_status, name="status"),
    path("<int:session_id>/rounds/<int:number>/retry/", views.round_retry, name="retry"),
    path("<int:session_id>/references/", review_views.references, name="references"),
    path("<int:session_id>/rounds/<int:number>/spectrum/", review_views.spectrum, name="spectrum"),
    path(
        "<int:session_id>/rounds/<int:number>/thumbnails/",
        review_views.thumbnails,
        name="thumbnails",
    ),
    path("<int:session_id>/rounds/<int:number>/candidates/", views.candidates, name="candidates"),
    path("<int:session_id>/rounds/<int:number>/samp/", views.samp_links, name="samp"),
    path("<int:session_id>/rounds/<int:number>/check/", check_views.check_page, name="check"),
    path("<int:session_id>/rounds/<int:number>/widget/", views.widget, name="widget"),
    path("<int:session_id>/widget/", views.widget, name="widget_newest"),
    path("<int:session_id>/spectrum-links/", views.spectrum_links, name="spectrum_links"),
]
