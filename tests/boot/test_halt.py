"""Without QEMU's exit device, power-off must halt the machine: no reset, no exit."""
import os
import subprocess
import time

from conftest import BUILD, ROOT, run_qemu, scn


def test_poweroff_without_exit_device_halts(tmp_path):
    sc = scn.load(os.path.join(ROOT, "scenarios", "hypervisor-only.scn"))
    sc.name = "halt-without-exit-device"
    iso = run_qemu.mkiso.build_iso(sc, BUILD, "poweroff_after=1")
    cmd = run_qemu.qemu_command(iso, sc, "stdio")
    i = cmd.index("isa-debug-exit,iobase=0xf4,iosize=0x04")
    del cmd[i - 1:i + 1]
    log = tmp_path / "serial.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while b"powering off" not in log.read_bytes():
                assert proc.poll() is None, f"QEMU exited ({proc.returncode}) before powering off"
                assert time.monotonic() < deadline, "never reached power-off"
                time.sleep(0.2)
            # -no-reboot turns a reset into an exit: still running means halted.
            time.sleep(2)
            assert proc.poll() is None, f"QEMU exited with {proc.returncode} instead of halting"
        finally:
            proc.kill()
            proc.wait()
