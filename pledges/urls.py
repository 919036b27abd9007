from django.urls import path

from .views import actions, bulk, coverage, pages

app_name = "pledges"

urlpatterns = [
    path("", pages.pledge_list, name="list"),
    path("<int:pk>/", pages.pledge_detail, name="detail"),
    path("<int:pk>/pdf/", pages.pledge_pdf, name="pdf"),
    path("<int:pk>/print/", pages.pledge_print, name="print"),
    path("<int:pk>/scan/", pages.pledge_scan, name="scan"),
    path("<int:pk>/sign/", actions.pledge_sign, name="sign"),
    path("<int:pk>/fulfil/", actions.pledge_fulfil, name="fulfil"),
    path("<int:pk>/revoke/", actions.pledge_revoke, name="revoke"),
    path("prepare/<key:account_no>/", pages.pledge_prepare, name="prepare"),
    path("paper/<key:account_no>/", actions.pledge_paper, name="paper"),
    path("bulk-sign/", bulk.bulk_sign, name="bulk_sign"),
    path("coverage/", coverage.coverage, name="coverage"),
    path("batches/start/", coverage.batch_start, name="batch_start"),
    path("batches/start-selected/", coverage.batch_start_selected, name="batch_start_selected"),
    path("batches/print-selected/", coverage.batch_print_selected, name="batch_print_selected"),
    path("batches/<int:pk>/", coverage.batch_detail, name="batch"),
    path("batches/<int:pk>/progress.json", coverage.batch_progress_json, name="batch_progress"),
    path("batches/<int:pk>/download/", coverage.batch_download, name="batch_download"),
]
