using Gitfleet.TestSupport.Device;

namespace Gitfleet.Device.Tests.Support;

/// <summary>How a daemon under test that died in its Go runtime is told from one that exited or still runs.</summary>
public sealed class GoRuntimeCrashTests
{
    [Fact]
    public void A_process_that_died_with_a_goroutine_dump_is_told_by_the_lines_giving_the_cause()
    {
        using var process = Exited("echo 'time=x level=info msg=\"Running Mender client\"'; echo 'fatal error: unexpected signal during runtime execution' >&2; " +
            "echo '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]' >&2; echo 'goroutine 1 [syscall]:' >&2; " +
            "echo 'syscall.forkExec(...)' >&2; exit 2");

        process.GoRuntimeCrash().ShouldBe("fatal error: unexpected signal during runtime execution");
    }

    [Fact]
    public void A_process_that_exited_without_a_dump_or_still_runs_did_not_crash()
    {
        using var exited = Exited("echo 'fatal error: only words'; exit 1");
        exited.GoRuntimeCrash().ShouldBeNull();

        using var running = new BackgroundProcess("sh", ["-c", "echo 'goroutine 1 [running]:'; sleep 30"]);
        running.GoRuntimeCrash().ShouldBeNull();
    }

    private static BackgroundProcess Exited(string script)
    {
        var process = new BackgroundProcess("sh", ["-c", script]);
        process.WaitForExit(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        return process;
    }
}
