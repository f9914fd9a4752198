using System.Net;
using System.Net.Sockets;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests;

public sealed class ServerCommandTests
{
    [Fact]
    public async Task A_busy_port_is_a_clear_error_not_a_stack_trace()
    {
        using var directory = new TempDirectory("server-busy-port");
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var result = await CliRunner.RunAsync(directory.Path, null, "server", "--data", directory.Combine("data"), "--urls", $"http://127.0.0.1:{port}");

        result.ExitCode.ShouldBe(ExitCodes.Error);
        result.Stderr.ShouldContain($"error: the server cannot start: cannot listen on http://127.0.0.1:{port}: the address is already in use");
        result.Stderr.ShouldNotContain("bug");
        result.Stderr.ShouldNotContain(" at ");
    }
}
