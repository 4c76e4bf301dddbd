from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

from vocloud.accounts.oidc import allow_client_redirects
from vocloud.portal.views import alive, health

admin.site.site_header = "vocloud administration"

urlpatterns = [
    path("health", health, name="health"),
    path("health/live", alive, name="alive"),
    path("admin/", admin.site.urls),
    # Django's LoginView names the site after the request's host unless told its name.
    path(
        "accounts/login/",
        # A log-in that an OAuth client (JupyterHub) asked for may redirect back to it.
        allow_client_redirects(
            auth_views.LoginView.as_view(extra_context={"site_name": settings.SITE_NAME})
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("vocloud.accounts.urls")),
    path("uws/", include("vocloud.uws.urls")),
    path("api/v1/", include("vocloud.api.urls")),
    # vocloud as an OAuth2/OpenID Connect provider (JupyterHub logs its users in here)
    # Only the protocol's endpoints: clients are registered by the admin (manage.py
    # jupyterhub_client), never by users, and tokens are not managed through pages.
    path(
        "o/",
        include(
            (oauth2_urls.base_urlpatterns + oauth2_urls.oidc_urlpatterns, "oauth2_provider"),
            namespace="oauth2_provider",
        ),
    ),
    path("files/", include("vocloud.files.urls")),
    path("datasets/", include("vocloud.datasets.urls")),
    path("labelling/", include("vocloud.labelling.urls")),
    path("vo/", include("vocloud.vo.urls")),
    path("", include("vocloud.portal.urls")),
]

# A failure answers one sentence (503 when the disk is full), never a traceback; every
# error page has the site's look and navigation.
handler500 = "vocloud.portal.errors.server_error"
handler404 = "vocloud.portal.errors.not_found"
handler403 = "vocloud.portal.errors.forbidden"
