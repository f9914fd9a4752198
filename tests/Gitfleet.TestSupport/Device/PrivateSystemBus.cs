namespace Gitfleet.TestSupport.Device;

/// <summary>
/// A private dbus-daemon standing in for the system bus (DBUS_SYSTEM_BUS_ADDRESS points at it), with a policy
/// that lets root own io.mender.AuthenticationManager, as Debian's system bus policy does.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateSystemBus : IDisposable
{
    private readonly BackgroundProcess daemon;

    private PrivateSystemBus(BackgroundProcess daemon, string address)
    {
        this.daemon = daemon;
        Address = address;
    }

    public static async Task<PrivateSystemBus> StartAsync(string directory)
    {
        var socket = Path.Combine(directory, "system_bus_socket");
        var config = Path.Combine(directory, "bus.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>unix:path={socket}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <allow own="*"/>
                <allow send_type="method_call"/>
                <allow send_type="signal"/>
                <allow send_requested_reply="true" send_type="method_return"/>
                <allow send_requested_reply="true" send_type="error"/>
                <allow receive_type="method_call"/>
                <allow receive_type="method_return"/>
                <allow receive_type="error"/>
                <allow receive_type="signal"/>
              </policy>
            </busconfig>
            """);
        var daemon = new BackgroundProcess("dbus-daemon", [$"--config-file={config}", "--nofork", "--nopidfile"]);
        await Wait.UntilAsync(() => File.Exists(socket), TimeSpan.FromSeconds(10), () => $"dbus-daemon did not start: {daemon.Output}");
        return new PrivateSystemBus(daemon, $"unix:path={socket}");
    }

    public string Address { get; }

    public void Dispose() => daemon.Dispose();
}
