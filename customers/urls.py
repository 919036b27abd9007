from django.urls import path

from .views import events, files, imports, printout

app_name = "customers"

urlpatterns = [
    path("", files.customer_list, name="list"),
    path("import/", imports.import_records, name="import"),
    path("import/template/<key:kind>.xlsx", imports.import_template, name="import_template"),
    path("import/history/", imports.import_history, name="import_history"),
    path("import/jobs/<int:pk>/", imports.import_job, name="import_job"),
    path("import/jobs/<int:pk>/progress.json", imports.import_job_progress, name="import_job_progress"),
    path("import/jobs/<int:pk>/errors/", imports.import_job_errors, name="import_job_errors"),
    path("file/<key:account_no>/", files.customer_detail, name="detail"),
    path("file/<key:account_no>/history/", files.customer_history, name="history"),
    path("file/<key:account_no>/pdf/", printout.credit_file_pdf, name="file_pdf"),
    path("file/<key:account_no>/events/new/", events.event_create, name="event_create"),
    path("file/<key:account_no>/events/<int:pk>/void/", events.event_void, name="event_void"),
]
