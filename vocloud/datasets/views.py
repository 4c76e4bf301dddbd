from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from services.datasets import DatasetError, Grid, dataset_dir, delete_dataset, list_datasets
from services.datasets import open_dataset as open_dataset_files
from services.plots import BOKEH_JS, embed
from services.storage import user_space
from services.storage.quota import forget_usage
from vocloud.labelling.models import Session
from vocloud.plots import plot_page


def _space(request):
    # the filesystem is the truth: a user's datasets are what their datasets/ holds
    return user_space(settings.DATA_DIR, request.user.pk)


def _sessions(request, name):
    """The user's labelling sessions on the dataset: deleting it ends their rounds."""
    return list(Session.objects.filter(owner=request.user, dataset=name).order_by("name"))


def _open(request, name):
    try:
        return open_dataset_files(dataset_dir(_space(request).datasets, name))
    except DatasetError:
        raise Http404("no such dataset") from None


@login_required
def dataset_list(request):
    datasets = list_datasets(_space(request).datasets)
    for info in datasets:
        info["grid_text"] = Grid.from_dict(info["grid"]).describe()
    return render(request, "datasets/list.html", {"datasets": datasets})


@login_required
@plot_page
def dataset_detail(request, name):
    from services.datasets.preview import examples_layout  # bokeh only for this page

    dataset = _open(request, name)
    script, div = embed(examples_layout(dataset, _space(request).files))
    return render(
        request,
        "datasets/detail.html",
        {
            "dataset": dataset,
            "info": dataset.info,
            "grid_text": dataset.grid.describe(),
            "size_bytes": dataset.size_bytes(),
            "sessions": _sessions(request, name),
            "plot_script": script,
            "plot_div": div,
            "bokeh_js": BOKEH_JS,
        },
    )


@login_required
@require_POST
def dataset_delete(request, name):
    """Deletes at once, unless sessions use the dataset: then the first POST asks first."""
    space = _space(request)
    sessions = _sessions(request, name)
    if sessions and request.POST.get("confirm") != "yes":
        _open(request, name)  # no such dataset: 404, as below
        return render(request, "datasets/confirm_delete.html", {"name": name, "sessions": sessions})
    try:
        delete_dataset(space.datasets, name)
    except DatasetError:
        raise Http404("no such dataset") from None
    forget_usage(space)  # the quota counts it no more
    messages.success(request, f"Dataset {name} deleted.")
    return redirect("datasets:list")
