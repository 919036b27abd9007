from django.http import HttpResponse


def _todo(request, *a, **k):
    return HttpResponse("todo")


import_records = _todo
