from django.urls import path

from vocloud.datasets import views

app_name = "datasets"
urlpatterns = [
    path("", views.dataset_list, name="list"),
    path("<str:name>/", views.dataset_detail, name="detail"),
    path("<str:name>/delete/", views.dataset_delete, name="delete"),
]
