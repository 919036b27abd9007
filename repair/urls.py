from django.urls import path

from .views import decisions, pledge, queue, requests

app_name = "repair"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("accept-selected/", queue.queue_accept, name="queue_accept"),
    path("new/<key:account_no>/", requests.lodge, name="lodge"),
    path("<key:number>/", requests.detail, name="detail"),
    path("<key:number>/edit/", requests.edit, name="edit"),
    path("<key:number>/evidence/", requests.add_evidence, name="add_evidence"),
    path("<key:number>/evidence/<int:pk>/", requests.evidence_file, name="evidence"),
    path("<key:number>/letter.pdf", decisions.letter, name="letter"),
    path("<key:number>/pledge/prepare/", pledge.prepare, name="pledge_prepare"),
    path("<key:number>/pledge/sign/", pledge.sign, name="pledge_sign"),
    path("<key:number>/<slug:action>/", decisions.act, name="act"),
]
