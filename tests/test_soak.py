"""bench/soak.py's verdicts, on made-up records (the soak itself runs by hand: a run of a
fraction of a minute on a loaded two-core machine cannot warm its workers or reach the flood's
limit reliably, so it is no test)."""
from bench.soak import Faults, memory_report
from bench.soak_traffic import Traffic

MIB = 1024 * 1024


def faults_done(*done):
    faults = Faults(None, None, "soak-test", lambda: 0.0)
    faults.done = list(done)
    return faults


def traffic_with(*records):
    traffic = Traffic(["http://127.0.0.1:1", "http://127.0.0.1:2"], "campaign", rate=1)
    traffic.records = list(records)
    return traffic


def test_only_a_503_in_flight_at_a_connection_cut_is_inside_a_documented_window(capsys):
    faults = faults_done(("Redis restart", 10.0, 13.0), ("PostgreSQL cut", 20.0, 20.1))
    assert faults.near(19.5, 20.05) == ("PostgreSQL cut at 20.0s", True)  # in flight at the cut
    assert faults.near(21.0, 21.5) == ("PostgreSQL cut at 20.0s", True)  # within 2 s after it
    assert faults.near(23.0, 23.2) == ("no fault near", False)
    assert faults.near(12.0, 12.1) == ("Redis restart at 10.0s", False)  # Redis costs no 503

    assert traffic_with(("sign", 503, 19.9, 20.2), ("count", 200, 1.0, 1.1)).report_server_errors(faults.near)
    assert not traffic_with(("sign", 500, 19.9, 20.2)).report_server_errors(faults.near)  # a 500 never is
    assert not traffic_with(("sign", 503, 12.0, 12.1)).report_server_errors(faults.near)
    assert not traffic_with(("count", 503, 40.0, 40.1)).report_server_errors(faults.near)
    assert "40.00-40.10s count" in capsys.readouterr().out


def test_statuses_outside_an_endpoints_expected_ones_are_reported_apart_from_5xx():
    traffic = traffic_with(("sign", 202, 0, 1), ("sign (flood)", 429, 0, 1), ("widget notify ur", 404, 0, 1),
                           ("count", 503, 0, 1), ("donate", "connection error (ConnectionError)", 0, 1))
    assert sorted(traffic.unexpected()) == [
        ("donate", "connection error (ConnectionError)", 1), ("widget notify ur", 404, 1)]
    assert traffic.flood_refused()
    assert not traffic_with(("sign (flood)", 202, 0, 1)).flood_refused()


def test_a_worker_that_grew_past_the_threshold_or_was_replaced_fails_the_memory_check():
    steady = {(1, 100): [(0, 90 * MIB), (30, 110 * MIB), (600, 112 * MIB)]}
    assert memory_report(steady, warm=30, threshold_mib=10, duration=600)
    growing = {(1, 100): [(0, 90 * MIB), (30, 110 * MIB), (600, 125 * MIB)]}
    assert not memory_report(growing, warm=30, threshold_mib=10, duration=600)
    replaced = {**steady, (1, 101): [(300, 90 * MIB), (600, 95 * MIB)]}
    assert not memory_report(replaced, warm=30, threshold_mib=10, duration=600)
    assert not memory_report({}, warm=30, threshold_mib=10, duration=600)
