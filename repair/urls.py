from django.urls import path

from .views import decisions, pledge, queue, requests

app_name = "repair"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("new/<str:account_no>/", requests.lodge, name="lodge"),
    path("<str:number>/", requests.detail, name="detail"),
    path("<str:number>/edit/", requests.edit, name="edit"),
    path("<str:number>/evidence/", requests.add_evidence, name="add_evidence"),
    path("<str:number>/evidence/<int:pk>/", requests.evidence_file, name="evidence"),
    path("<str:number>/letter.pdf", decisions.letter, name="letter"),
    path("<str:number>/pledge/prepare/", pledge.prepare, name="pledge_prepare"),
    path("<str:number>/pledge/sign/", pledge.sign, name="pledge_sign"),
    path("<str:number>/<slug:action>/", decisions.act, name="act"),
]
