"""The class plans' pages: the list and a plan's print view."""

from django.urls import path

from choreography.classplans import pages

urlpatterns = [
    path("class-plans/", pages.plans, name="class_plans"),
    path("class-plans/<int:plan_id>/print/", pages.print_plan, name="class_plan_print"),
]
