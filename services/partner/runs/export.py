"""A run as JUnit XML (the format CI systems read), one testcase per case."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from services.partner.runs.schemas import RunReport


def junit_xml(report: RunReport) -> bytes:
    run = report.run
    seconds = sum(c.duration_ms for c in report.cases) / 1000
    suite = ET.Element(
        "testsuite",
        name=f"golden run {run.id}",
        tests=str(len(report.cases)),
        failures=str(sum(1 for c in report.cases if c.result == "fail")),
        errors=str(sum(1 for c in report.cases if c.result == "error")),
        time=f"{seconds:.3f}",
        timestamp=(run.started_at or run.created_at).isoformat(),
    )
    for case in report.cases:
        element = ET.SubElement(
            suite,
            "testcase",
            classname=f"{case.kind}.{case.operation or 'suite'}",
            name=case.name,
            time=f"{case.duration_ms / 1000:.3f}",
        )
        if case.result != "pass":
            tag = "failure" if case.result == "fail" else "error"
            ET.SubElement(element, tag, message=case.message[:1000]).text = case.message
        if case.log:
            ET.SubElement(element, "system-out").text = "\n".join(case.log)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return bytes(ET.tostring(suites, encoding="utf-8", xml_declaration=True))
