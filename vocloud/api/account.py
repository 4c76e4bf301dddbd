"""Who the request is from."""

from __future__ import annotations

from django.http import JsonResponse

from vocloud.api.base import ApiView
from vocloud.files import operations
from vocloud.files.uploads import max_upload_bytes


class MeView(ApiView):
    def get(self, request):
        user = request.user
        quota = operations.page_quota(user)
        return JsonResponse(
            {
                "username": user.get_username(),
                "is_staff": user.is_staff,
                "quota": {"used_bytes": quota.used_bytes, "limit_bytes": quota.limit_bytes},
                "max_upload_bytes": max_upload_bytes(),
            }
        )
