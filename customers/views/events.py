from django.http import HttpResponse


def _todo(request, *a, **k):
    return HttpResponse("todo")


event_create = event_void = _todo
