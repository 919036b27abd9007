from django.http import HttpResponse


def _todo(request, *a, **k):
    return HttpResponse("todo")


customer_list = customer_detail = customer_history = _todo
