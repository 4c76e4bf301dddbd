"""vocloud: the Django project (settings, URL map) and its apps."""
