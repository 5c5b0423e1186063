from django.contrib.auth import views as auth_views
from django.urls import path, register_converter, reverse_lazy

from leadpool.web.kinds import KindConverter
from leadpool.web.views import (
    auth,
    convert,
    dashboard,
    exports,
    imports,
    lists,
    notifications,
    pool_settings,
    records,
    settings,
)

register_converter(KindConverter, "kind")

app_name = "web"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/<kind:kind>/", dashboard.dashboard_page, name="dashboard_kind"),
    path("login/", auth.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/auth/password_change.html",
            success_url=reverse_lazy("web:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/auth/password_changed.html"),
        name="password_change_done",
    ),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("imports/", imports.import_list, name="imports"),
    path("imports/new/", imports.import_upload, name="import_upload"),
    path("imports/new/<str:token>/", imports.import_preview, name="import_preview"),
    path("imports/<int:pk>/", imports.import_job, name="import_job"),
    path("imports/<int:pk>/errors/", imports.import_errors, name="import_errors"),
    path("imports/<int:pk>/undo/", imports.import_undo, name="import_undo"),
    path("settings/", settings.settings_home, name="settings"),
    path("settings/me/", settings.preferences, name="preferences"),
    path("language/", settings.switch_language, name="switch_language"),
    path("settings/users/", settings.user_list, name="settings_users"),
    path("settings/users/new/", settings.user_create, name="settings_user_create"),
    path("settings/users/<int:pk>/", settings.user_edit, name="settings_user"),
    path(
        "settings/users/<int:pk>/password/",
        settings.user_password,
        name="settings_user_password",
    ),
    path("settings/departments/", settings.department_list, name="settings_departments"),
    path(
        "settings/departments/new/",
        settings.department_create,
        name="settings_department_create",
    ),
    path("settings/departments/<int:pk>/", settings.department_edit, name="settings_department"),
    path(
        "settings/departments/<int:pk>/delete/",
        settings.department_delete,
        name="settings_department_delete",
    ),
    path("settings/fields/", settings.field_list, name="settings_fields_home"),
    path("settings/fields/<slug:entity>/", settings.field_list, name="settings_fields"),
    path(
        "settings/fields/<slug:entity>/new/",
        settings.field_create,
        name="settings_field_create",
    ),
    path(
        "settings/fields/<slug:entity>/<int:pk>/",
        settings.field_edit,
        name="settings_field",
    ),
    path("settings/mapping/", settings.mapping_edit, name="settings_mapping"),
    path("settings/pools/", pool_settings.pool_settings_list, name="pool_settings_list"),
    path("settings/pools/new/", pool_settings.pool_settings_create, name="pool_settings_create"),
    path("settings/pools/<int:pk>/", pool_settings.pool_settings_edit, name="pool_settings"),
    path("settings/pools/<int:pk>/transfer/", pool_settings.pool_transfer, name="pool_transfer"),
    path("leads/<int:pk>/convert/", convert.lead_convert, name="lead_convert"),
    path("<kind:kind>/", lists.record_list, name="records"),
    path("<kind:kind>/all/", lists.record_list, {"where": "all"}, name="records_all"),
    path("<kind:kind>/pools/", lists.pool_list, name="pools"),
    path("<kind:kind>/pools/<int:pool_id>/", lists.record_list, {"where": "pool"}, name="pool"),
    path("<kind:kind>/recycle-bin/", lists.record_list, {"where": "bin"}, name="recycle_bin"),
    path("<kind:kind>/batch/", lists.batch_action, name="batch"),
    path("<kind:kind>/export/", exports.export_start, name="export"),
    path("<kind:kind>/export/<str:token>/", exports.export_file, name="export_file"),
    path("<kind:kind>/new/", records.record_create, name="record_create"),
    path("<kind:kind>/duplicates/", records.duplicate_check, name="duplicates"),
    path("<kind:kind>/<int:pk>/", records.record_detail, name="record"),
    path("<kind:kind>/<int:pk>/edit/", records.record_edit, name="record_edit"),
    path("<kind:kind>/<int:pk>/followups/", records.followup_add, name="followup_add"),
    path("<kind:kind>/<int:pk>/calls/", records.call_add, name="call_add"),
    path(
        "<kind:kind>/<int:pk>/collaborators/",
        records.collaborators_set,
        name="collaborators",
    ),
]
