from django.urls import path

from .views import batches, dashboard, notices, returns

app_name = "reporting"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # The 信易供水 batches (reporting.views.batches)
    path("reporting/batches/", batches.batch_list, name="batches"),
    path("reporting/batches/build/", batches.build, name="build"),
    path("reporting/batches/<str:number>/", batches.batch_detail, name="batch"),
    path("reporting/batches/<str:number>/progress.json", batches.progress, name="batch_progress"),
    path("reporting/batches/<str:number>/actions/<str:action>/", batches.transition, name="batch_action"),
    path("reporting/batches/<str:number>/files/<str:kind>/", batches.download, name="batch_file"),
    # The platform's return files (reporting.views.returns)
    path("reporting/batches/<str:number>/return/", returns.upload, name="batch_return"),
    # 告知书 (reporting.views.notices)
    path("reporting/notices/", notices.notice_list, name="notices"),
    path("reporting/notices/print/", notices.print_all, name="notices_print"),
    path("reporting/notices/new/<str:account_no>/", notices.prepare, name="notice_new"),
    path("reporting/notices/<str:number>/", notices.notice_detail, name="notice"),
    path("reporting/notices/<str:number>/pdf/", notices.notice_pdf, name="notice_pdf"),
    path("reporting/notices/<str:number>/given/", notices.record_given, name="notice_given"),
]
