"""The JSON API for scripts and notebooks (docs/api.md); jobs stay on UWS (/uws/)."""

from django.urls import path

from vocloud.api import account, datasets, files, kinds, labelling

app_name = "api"
session = "labelling/sessions/<int:session_id>"
urlpatterns = [
    path("me", account.MeView.as_view(), name="me"),
    path("files/", files.FolderView.as_view(), name="files"),
    path("files/mkdir", files.MakeFolderView.as_view(), name="mkdir"),
    path("files/content/<path:path>", files.ContentView.as_view(), name="content"),
    path("datasets/", datasets.DatasetListView.as_view(), name="datasets"),
    path("datasets/<str:name>/", datasets.DatasetView.as_view(), name="dataset"),
    path("datasets/<str:name>/arrays/<str:array>", datasets.ArrayView.as_view(), name="array"),
    path("datasets/<str:name>/meta", datasets.MetaView.as_view(), name="meta"),
    path("kinds/", kinds.KindListView.as_view(), name="kinds"),
    path("kinds/<str:kind>/", kinds.KindView.as_view(), name="kind"),
    path("labelling/sessions/", labelling.SessionListView.as_view(), name="sessions"),
    path(f"{session}/", labelling.SessionView.as_view(), name="session"),
    path(f"{session}/labels", labelling.LabelsView.as_view(), name="labels"),
    path(f"{session}/rounds/", labelling.RoundListView.as_view(), name="rounds"),
    path(f"{session}/rounds/<int:number>/", labelling.RoundView.as_view(), name="round"),
    path(f"{session}/rounds/<int:number>/sample", labelling.SampleView.as_view(), name="sample"),
    path(f"{session}/rounds/<int:number>/check", labelling.CheckView.as_view(), name="check"),
    path(
        f"{session}/rounds/<int:number>/check/answers",
        labelling.CheckAnswerView.as_view(),
        name="check_answers",
    ),
    path(
        f"{session}/rounds/<int:number>/check/undo",
        labelling.CheckUndoView.as_view(),
        name="check_undo",
    ),
    path(
        f"{session}/rounds/<int:number>/check/spectrum",
        labelling.CheckSpectrumView.as_view(),
        name="check_spectrum",
    ),
]
