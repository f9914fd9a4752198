using System.Net;
using System.Net.Sockets;

namespace Gitfleet.TestSupport.Processes;

/// <summary>
/// A TCP port that was free a moment ago (the OS picks it by binding port 0). Another process may take it before
/// ours binds it, so starters that use it retry on "address in use".
/// </summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
