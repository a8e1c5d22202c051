"""Grading a class: the key, the batch of submissions, its outputs, and where it runs.

``key`` reads a grading key and submissions; ``batch`` scores one submission and
grades a folder in local worker processes (each under ``sandbox`` limits);
``dask`` runs the same batches on a Dask cluster; ``outputs`` writes grades.csv,
grades.json, feedback and the class report; ``gradescope`` is the autograder
entry point.
"""
