from django.urls import path

from .views import batches, cases, checks, dashboard, monthly, notices, publicity, returns, tracker

app_name = "reporting"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # The 信易供水 batches (reporting.views.batches)
    path("reporting/batches/", batches.batch_list, name="batches"),
    path("reporting/batches/build/", batches.build, name="build"),
    path("reporting/batches/<key:number>/", batches.batch_detail, name="batch"),
    path("reporting/batches/<key:number>/progress.json", batches.progress, name="batch_progress"),
    path("reporting/batches/<key:number>/actions/<key:action>/", batches.transition, name="batch_action"),
    path("reporting/batches/<key:number>/files/<key:kind>/", batches.download, name="batch_file"),
    # The platform's return files (reporting.views.returns)
    path("reporting/batches/<key:number>/return/", returns.upload, name="batch_return"),
    # 告知书 (reporting.views.notices)
    path("reporting/notices/", notices.notice_list, name="notices"),
    path("reporting/notices/print/", notices.print_all, name="notices_print"),
    path("reporting/notices/new/<key:account_no>/", notices.prepare, name="notice_new"),
    path("reporting/notices/<key:number>/", notices.notice_detail, name="notice"),
    path("reporting/notices/<key:number>/pdf/", notices.notice_pdf, name="notice_pdf"),
    path("reporting/notices/<key:number>/given/", notices.record_given, name="notice_given"),
    # 信用核查 (reporting.views.checks)
    path("reporting/checks/", checks.check_list, name="work_checks"),
    path("reporting/checks/new/<key:account_no>/", checks.check_new, name="work_check_new"),
    path("reporting/checks/<key:number>/", checks.check_detail, name="work_check"),
    path("reporting/checks/<key:number>/attachment/", checks.check_attachment, name="work_check_attachment"),
    path("reporting/checks/<key:number>/event/", checks.check_event, name="work_check_event"),
    # 信用案例 (reporting.views.cases)
    path("reporting/cases/", cases.case_list, name="work_cases"),
    path("reporting/cases/new/", cases.case_new, name="work_case_new"),
    path("reporting/cases/pdf/", cases.month_pdf, name="work_cases_pdf"),
    path("reporting/cases/<key:number>/", cases.case_detail, name="work_case"),
    path("reporting/cases/<key:number>/edit/", cases.case_edit, name="work_case_edit"),
    path("reporting/cases/<key:number>/pdf/", cases.case_pdf, name="work_case_pdf"),
    path("reporting/cases/<key:number>/<key:action>/", cases.case_action, name="work_case_action"),
    # 宣传与工作动态 (reporting.views.publicity)
    path("reporting/publicity/", publicity.item_list, name="work_publicity"),
    path("reporting/publicity/new/", publicity.item_new, name="work_publicity_new"),
    path("reporting/publicity/<key:number>/", publicity.item_detail, name="work_publicity_item"),
    path("reporting/publicity/<key:number>/files/<int:pk>/", publicity.item_file, name="work_publicity_file"),
    # The task tracker (reporting.views.tracker)
    path("reporting/tracker/", tracker.task_list, name="work_tracker"),
    path("reporting/monthly/", monthly.report, name="work_monthly"),
    path("reporting/monthly/pdf/", monthly.report_pdf, name="work_monthly_pdf"),
    path("reporting/tracker/progress/", tracker.progress, name="work_tracker_progress"),
    path("reporting/tracker/summary/", tracker.summary, name="work_tracker_summary"),
    path("reporting/tracker/<key:month>/<int:task>/<int:unit>/", tracker.report, name="work_tracker_report"),
    path("reporting/tracker/<key:month>/<int:task>/<int:unit>/submit/", tracker.submit, name="work_tracker_submit"),
    path("reporting/tracker/<key:month>/<int:task>/<int:unit>/comment/", tracker.comment, name="work_tracker_comment"),
]
