"""Datasets: the list, one dataset's description, rows of its arrays, its metadata table."""

from __future__ import annotations

import io

import numpy as np
from astropy.io import fits
from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse

from services.datasets import Dataset, DatasetError, Grid, dataset_dir, list_datasets, open_dataset
from services.storage import user_space
from vocloud.api.arrays import RowsError, npy_stream, parse_rows
from vocloud.api.base import ApiView, Refused, whole_number

ARRAY_NAMES = ("wave", "flux", "ivar", "mask")
META_FORMATS = {"fits": "application/fits", "votable": "application/x-votable+xml"}


def _datasets_root(user):
    return user_space(settings.DATA_DIR, user.pk).datasets


def _open(user, name: str) -> Dataset:
    # Its messages may name the directory on the server: the user is told only this.
    try:
        return open_dataset(dataset_dir(_datasets_root(user), name))
    except DatasetError:
        raise Refused("No such dataset.", 404) from None


def _summary(info: dict) -> dict:
    grid = info.get("grid") or {}
    return {
        "name": info.get("name"),
        "version": info.get("version"),
        "n_spectra": info.get("n_spectra"),
        "n_pix": grid.get("n_pix"),
        "grid": grid,
        "grid_text": Grid.from_dict(grid).describe() if grid else "",
        "created": info.get("created"),
        "size_bytes": info.get("size_bytes"),
    }


def _selection(request, n_rows: int):
    try:
        return parse_rows(
            n_rows,
            whole_number(request.GET.get("start"), "start"),
            whole_number(request.GET.get("stop"), "stop"),
            request.GET.get("rows"),
        )
    except RowsError as exc:
        raise Refused(str(exc)) from None


class DatasetListView(ApiView):
    def get(self, request):
        return JsonResponse(
            {"datasets": [_summary(i) for i in list_datasets(_datasets_root(request.user))]}
        )


class DatasetView(ApiView):
    def get(self, request, name: str):
        dataset = _open(request.user, name)
        info = {**dataset.info, "size_bytes": dataset.size_bytes()}
        with fits.open(dataset.path / "meta.fits", memmap=True) as hdus:
            columns = list(hdus[1].columns.names)
        shown = {key: info[key] for key in ("options", "sources") if key in info}
        return JsonResponse({**_summary(info), "columns": columns, **shown})


class ArrayView(ApiView):
    def get(self, request, name: str, array: str):
        if array not in ARRAY_NAMES:
            raise Refused(f"No array {array!r}: ask for one of {', '.join(ARRAY_NAMES)}.", 404)
        dataset = _open(request.user, name)
        values = getattr(dataset, array)
        selection = None if array == "wave" else _selection(request, dataset.n_spectra)
        try:
            length, blocks = npy_stream(values, selection)
        except RowsError as exc:
            raise Refused(str(exc), 413) from None
        response = StreamingHttpResponse(blocks, content_type="application/octet-stream")
        response["Content-Length"] = str(length)
        response["Content-Disposition"] = f'attachment; filename="{array}.npy"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class MetaView(ApiView):
    def get(self, request, name: str):
        dataset = _open(request.user, name)
        fmt = request.GET.get("format", "fits")
        if fmt not in META_FORMATS:
            raise Refused(f"format is one of {', '.join(META_FORMATS)}.")
        selection = _selection(request, dataset.n_spectra)
        table = (
            dataset.meta[selection]
            if isinstance(selection, slice)
            else dataset.meta[np.asarray(selection)]
        )
        out = io.BytesIO()
        table.write(out, format="fits" if fmt == "fits" else "votable")
        response = HttpResponse(out.getvalue(), content_type=META_FORMATS[fmt])
        suffix = "fits" if fmt == "fits" else "vot"
        response["Content-Disposition"] = f'attachment; filename="{dataset.name}-meta.{suffix}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
