from django.urls import path

from vocloud.files import views

app_name = "files"
urlpatterns = [
    path("", views.browse, name="home"),
    path("browse/<path:path>", views.browse, name="browse"),
    path("view/<path:path>", views.view, name="view"),
    path("overlay/", views.overlay, name="overlay"),
    path("download/<path:path>", views.download, name="download"),
    path("zip/", views.download_zip, name="zip"),
    path("upload/", views.upload, name="upload"),
    path("chunked/", views.chunked_start, name="chunked_start"),
    path("chunked/<str:upload_id>", views.chunked_upload, name="chunked"),
    path("mkdir/", views.mkdir, name="mkdir"),
    path("rename/", views.rename, name="rename"),
    path("move/", views.move, name="move"),
    path("copy/", views.copy, name="copy"),
    path("delete/", views.delete, name="delete"),
    path("samp/links/", views.samp_links, name="samp_links"),
    path("signed/<str:token>", views.signed, name="signed"),
]
