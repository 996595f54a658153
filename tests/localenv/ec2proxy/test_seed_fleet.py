"""scripts/seed-fleet creates exactly the fixture fleet of query-cases.md."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# name -> (type, state, arch, platform, tags besides Name, volumes (type, GiB), public IP)
TABLE = {
    "web-1": ("t3.medium", "running", "x86_64", None, {"Environment": "production", "tier": "web"},
              [("gp2", 50), ("gp3", 20)], True),
    "web-2": ("t3.medium", "stopped", "x86_64", None, {"Environment": "staging", "tier": "web"},
              [("gp3", 20)], False),
    "db-1": ("r5.large", "running", "x86_64", None, {"Environment": "production", "tier": "db"},
             [("gp3", 100), ("io1", 500)], False),
    "win-1": ("m5.xlarge", "stopped", "x86_64", "windows", {"Environment": "production"},
              [("gp3", 80)], False),
    "arm-1": ("c6g.large", "running", "arm64", None, {"Environment": "dev"}, [("gp3", 30)], True),
    None: ("t3.micro", "stopped", "x86_64", None, {}, [("gp2", 8)], False),
}


def seed(helpers, url: str, *args: str, check: bool = True):
    r = subprocess.run([sys.executable, str(helpers["seed"]), "--endpoint", url, *args],
                       capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def all_instances(ec2) -> list[dict]:
    out = []
    for page in ec2.get_paginator("describe_instances").paginate():
        for r in page["Reservations"]:
            out.extend(r["Instances"])
    return out


def name_of(inst) -> str | None:
    return next((t["Value"] for t in inst.get("Tags", []) if t["Key"] == "Name"), None)


def test_seeded_fleet_matches_the_table(proxy, ec2, helpers):
    r = seed(helpers, proxy.url, "--json")
    report = json.loads(r.stdout)
    assert report["problems"] == [] and report["created"] is True
    insts = [i for i in all_instances(ec2) if i["VpcId"] == report["vpc"]]
    assert len(insts) == 6
    by_name = {name_of(i): i for i in insts}
    assert set(by_name) == set(TABLE)
    vols = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
    for name, (itype, state, arch, platform, tags, volumes, public) in TABLE.items():
        inst = by_name[name]
        assert inst["InstanceType"] == itype, name
        assert inst["State"]["Name"] == state, name
        assert inst["Architecture"] == arch, name
        assert inst.get("Platform") == platform, name
        got_tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
        assert got_tags == (({"Name": name} if name else {}) | tags), name
        bdm = inst["BlockDeviceMappings"]
        assert len(bdm) == len(volumes), name
        assert sorted((vols[m["Ebs"]["VolumeId"]]["VolumeType"], vols[m["Ebs"]["VolumeId"]]["Size"])
                      for m in bdm) == sorted(volumes), name
        assert ("PublicIpAddress" in inst) == public, name
        # volumes are tagged with a Name for named instances, untagged for the unnamed one
        vnames = {t["Value"] for m in bdm for t in vols[m["Ebs"]["VolumeId"]].get("Tags", []) if t["Key"] == "Name"}
        assert vnames == ({f"{name}-root"} | ({f"{name}-data"} if len(bdm) > 1 else set()) if name else set())
        assert any(m["DeviceName"] == inst["RootDeviceName"] for m in bdm), name
    io1 = [v for v in vols.values() if v["VolumeType"] == "io1"]
    assert len(io1) == 1 and io1[0]["Iops"] > 0
    assert io1[0]["Attachments"][0]["InstanceId"] == by_name["db-1"]["InstanceId"]
    # several subnets in several AZs, one security group
    subnets = {i["SubnetId"] for i in insts}
    assert len(subnets) >= 2
    assert len({s["az"] for s in report["subnets"]}) >= 2
    assert {g["GroupId"] for i in insts for g in i["SecurityGroups"]} == {report["security_group"]}
    assert {i["SubnetId"] for i in insts if "PublicIpAddress" in i} <= {s["id"] for s in report["subnets"] if s["public"]}
    # the JSON map: named keys, the unnamed one keyed by its id with a flag
    unnamed = by_name[None]["InstanceId"]
    assert report["instances"][unnamed]["unnamed"] is True
    assert report["instances"]["db-1"]["id"] == by_name["db-1"]["InstanceId"]
    assert report["instances"]["web-1"]["subnet"] == by_name["web-1"]["SubnetId"]
    assert [v["type"] for v in report["instances"]["web-1"]["volumes"]] == ["gp3", "gp2"]  # root first


def test_rerun_is_idempotent_and_partial_fleet_is_refused(proxy, ec2, helpers):
    first = json.loads(seed(helpers, proxy.url, "--json").stdout)
    again = seed(helpers, proxy.url, "--json")
    second = json.loads(again.stdout)
    assert second["created"] is False and "already exists" in again.stderr
    assert {k: v["id"] for k, v in first["instances"].items()} == {k: v["id"] for k, v in second["instances"].items()}
    assert len(all_instances(ec2)) == 6
    ec2.terminate_instances(InstanceIds=[first["instances"]["web-2"]["id"]])
    r = seed(helpers, proxy.url, check=False)
    assert r.returncode == 3
    assert "web-2" in r.stderr and "web-1" in r.stderr and "partial" in r.stderr


def test_table_output_and_state_delays_through_proxy(proxy, helpers):
    proxy.timings(stop=1.0)
    r = seed(helpers, proxy.url)
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["NAME", "ID", "TYPE", "STATE"]
    rows = {line.split()[0]: line.split() for line in lines[1:7]}
    assert set(rows) == {"web-1", "web-2", "db-1", "win-1", "arm-1", "(no"}
    assert rows["web-2"][3] == "stopped"  # waited through the proxy's "stopping"
    assert proxy.calls()["by_action"]["StopInstances"] == 1


def test_extra_instances_in_batches(proxy, ec2, helpers):
    report = json.loads(seed(helpers, proxy.url, "--json", "--extra", "18", "--extra-volumes", "2").stdout)
    extras = {k: v for k, v in report["instances"].items() if v["extra"]}
    assert sorted(extras) == [f"bench-{i:04d}" for i in range(1, 19)]
    assert all(v["type"] == "t3.medium" and len(v["volumes"]) == 2 for v in extras.values())
    assert {v["state"] for v in extras.values()} == {"running", "stopped"}
    assert all({"Environment", "tier"} <= set(v["tags"]) for v in extras.values())
    run_calls = proxy.calls()["by_action"]["RunInstances"]
    assert run_calls <= 6 + 9  # 6 fixture launches + at most 9 batches for the extras
    # topping up: --extra 20 only adds two
    report = json.loads(seed(helpers, proxy.url, "--json", "--extra", "20").stdout)
    assert len([v for v in report["instances"].values() if v["extra"]]) == 20
    assert len(all_instances(ec2)) == 6 + 20


@pytest.mark.parametrize("args", [["--extra", "-1"], ["--extra-volumes", "20"]])
def test_bad_arguments(proxy, helpers, args):
    r = seed(helpers, proxy.url, *args, check=False)
    assert r.returncode == 2


def test_seeders_started_together_make_one_fleet(proxy, ec2, helpers):
    argv = [sys.executable, str(helpers["seed"]), "--endpoint", proxy.url, "--json"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    reports = []
    for run in runs:
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
        reports.append(json.loads(out))
    assert sorted(r["created"] for r in reports) == [False, False, True]
    assert len({r["vpc"] for r in reports}) == 1
    names = [name_of(i) for i in all_instances(ec2)]
    assert sorted(n or "" for n in names) == sorted(n or "" for n in TABLE)
