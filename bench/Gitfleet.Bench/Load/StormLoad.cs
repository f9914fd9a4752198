using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Bench.Load;

/// <summary>
/// The restart storm: every device of the prepared file "reconnects at once", as mender-client 3.4 does after a
/// server restart or when a region comes back: its signed auth request (replayed from the file, so feeding the
/// storm costs no signing), then its inventory PUT (17 attributes) and a v2 next with its provides, each on the
/// token it just got. C keep-alive TLS connections (or, with --handshakes true, a new TLS connection per device,
/// as real devices open one each) take devices one after another. Prints the time until every device is
/// authenticated and has reported its inventory, each kind's rate and latency percentiles, the server's CPU per
/// request and its memory.
/// </summary>
internal static class StormLoad
{
    private static readonly byte[] NextBody = """{"device_provides":{"artifact_name":"bench-os-1","device_type":"pi4-v3-arm64","rootfs-image.version":"bench-os-1"},"update_control_map":true}"""u8.ToArray();

    /// <summary>The server's group-commit writer thread, as /proc names it (15 characters).</summary>
    private const string WriterThread = "Gitfleet group";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var server = new Uri(args.Text("server"));
        var connections = args.Int("connections", 64);
        var handshakes = (args.Optional("handshakes") ?? "false") == "true";
        var serverPid = args.Optional("server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : (int?)null;
        var startedAt = args.Optional("since-ms") is { } since ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(since, CultureInfo.InvariantCulture)) : (DateTimeOffset?)null;
        var requests = File.ReadLines(args.Text("requests")).Select(line =>
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            return new AuthRequest(Convert.FromBase64String(line[..tab]), Encoding.ASCII.GetBytes(line[(tab + 1)..]));
        }).ToArray();
        var devices = Math.Min(args.Int("devices", requests.Length), requests.Length);
        var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(args.Text("ca")));
        var state = new StormState(requests, devices, CheckInLoad.InventoryBody);

        var before = CpuSample.Take(serverPid);
        var writerBefore = serverPid is { } w0 ? CpuSample.ThreadCpu(w0, WriterThread) : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(() => ConnectionAsync(server, trusted, state, handshakes))).ToArray();
        var peakRss = 0.0;
        while (!Task.WhenAll(workers).Wait(250))
        {
            if (serverPid is { } p)
            {
                peakRss = Math.Max(peakRss, CpuSample.Memory(p).Rss);
            }
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        var after = CpuSample.Take(serverPid);
        var writerSeconds = ((serverPid is { } w1 ? CpuSample.ThreadCpu(w1, WriterThread) : TimeSpan.Zero) - writerBefore).TotalSeconds;
        var (serverCores, generatorCores, machineCores) = CpuSample.Cores(before, after);
        var (rss, peak) = serverPid is { } id ? CpuSample.Memory(id) : (0, 0);
        var total = state.Auth.Snapshot().Count + state.Inventory.Snapshot().Count + state.Next.Snapshot().Count;
        var serverSeconds = (after.Server - before.Server).TotalSeconds;
        var sinceRestart = startedAt is { } s ? (DateTimeOffset.UtcNow - s).TotalSeconds : elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"storm: {devices} devices over {connections} {(handshakes ? "new TLS connections (one per device)" : "keep-alive TLS connections")}: all authenticated and inventoried in {elapsed:F1} s "
            + $"({sinceRestart:F1} s after the server process started), {state.Done} devices done, {state.Errors} errors"));
        foreach (var (name, histogram) in new[] { ("auth requests", state.Auth), ("inventory PUTs", state.Inventory), ("v2 next", state.Next) })
        {
            var snapshot = histogram.Snapshot();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: {snapshot.Count / elapsed:F0}/s, p50 {snapshot.Percentile(50).TotalMilliseconds:F1} ms, p99 {snapshot.Percentile(99).TotalMilliseconds:F1} ms, max {snapshot.Percentile(100).TotalMilliseconds:F0} ms"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  CPU: server {serverCores:F2} cores ({serverSeconds * 1e6 / Math.Max(1, total):F0} µs per request), generator {generatorCores:F2}, machine {machineCores:F2} of {CpuSample.MachineCores}; server RSS {rss:F0} MiB (peak {Math.Max(peak, peakRss):F0})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  group-commit writer thread: {writerSeconds / elapsed:F2} cores, {writerSeconds * 1e6 / Math.Max(1, devices):F0} µs CPU per device"));
        var auth = state.Auth.Snapshot();
        var inventory = state.Inventory.Snapshot();
        var next = state.Next.Snapshot();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result devices={devices} seconds={elapsed:F1} since_start={sinceRestart:F1} auth_per_s={auth.Count / elapsed:F0} auth_p99={auth.Percentile(99).TotalMilliseconds:F1} "
            + $"inventory_per_s={inventory.Count / elapsed:F0} inventory_p99={inventory.Percentile(99).TotalMilliseconds:F1} next_per_s={next.Count / elapsed:F0} next_p99={next.Percentile(99).TotalMilliseconds:F1} "
            + $"server_cpu={serverCores:F2} server_us_per_request={serverSeconds * 1e6 / Math.Max(1, total):F0} writer_us_per_device={writerSeconds * 1e6 / Math.Max(1, devices):F0} rss_mib={rss:F0} peak_mib={Math.Max(peak, peakRss):F0} errors={state.Errors}"));
        return state.Errors == 0 ? 0 : 1;
    }

    private static async Task ConnectionAsync(Uri server, X509Certificate2 trusted, StormState state, bool handshakes)
    {
        var buffer = new byte[16384];
        var request = new byte[16384];
        SslStream? tls = null;
        try
        {
            while (true)
            {
                var index = (int)Interlocked.Increment(ref state.NextDevice) - 1;
                if (index >= state.Devices)
                {
                    return;
                }

                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        if (tls is null || handshakes)
                        {
                            if (tls is not null)
                            {
                                await tls.DisposeAsync();
                            }

                            tls = await ConnectAsync(server, trusted);
                        }

                        await DeviceAsync(tls, server, state, state.Requests[index], request, buffer);
                        Interlocked.Increment(ref state.Done);
                        break;
                    }
                    catch (Exception e) when (e is IOException or SocketException or InvalidDataException or System.Security.Authentication.AuthenticationException)
                    {
                        Interlocked.Increment(ref state.Errors);
                        if (tls is not null)
                        {
                            await tls.DisposeAsync();
                        }

                        tls = null;
                        if (attempt >= 3)
                        {
                            break;
                        }
                    }
                }
            }
        }
        finally
        {
            if (tls is not null)
            {
                await tls.DisposeAsync();
            }
        }
    }

    /// <summary>One device: auth request (token from the body), inventory PUT, v2 next.</summary>
    private static async Task DeviceAsync(SslStream tls, Uri server, StormState state, AuthRequest auth, byte[] request, byte[] buffer)
    {
        var length = Request(request, $"POST /api/devices/v1/authentication/auth_requests HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nX-MEN-Signature: ", auth.Signature,
            $"\r\nContent-Length: {auth.Body.Length}\r\n\r\n", auth.Body);
        var started = Stopwatch.GetTimestamp();
        await tls.WriteAsync(request.AsMemory(0, length));
        var (status, token) = await ReadResponseAsync(tls, buffer, keepBody: true);
        state.Auth.Record(Stopwatch.GetElapsedTime(started));
        if (status != 200)
        {
            throw new InvalidDataException($"auth request answered {status}: {token}");
        }

        var bearer = Encoding.ASCII.GetBytes(token!);
        length = Request(request, $"PUT /api/devices/v1/inventory/device/attributes HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer ", bearer,
            $"\r\nContent-Type: application/json\r\nContent-Length: {state.InventoryBody.Length}\r\n\r\n", state.InventoryBody);
        started = Stopwatch.GetTimestamp();
        await tls.WriteAsync(request.AsMemory(0, length));
        (status, _) = await ReadResponseAsync(tls, buffer, keepBody: false);
        state.Inventory.Record(Stopwatch.GetElapsedTime(started));
        if (status != 200)
        {
            throw new InvalidDataException($"inventory PUT answered {status}");
        }

        length = Request(request, $"POST /api/devices/v2/deployments/device/deployments/next HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer ", bearer,
            $"\r\nContent-Type: application/json\r\nContent-Length: {NextBody.Length}\r\n\r\n", NextBody);
        started = Stopwatch.GetTimestamp();
        await tls.WriteAsync(request.AsMemory(0, length));
        (status, _) = await ReadResponseAsync(tls, buffer, keepBody: false);
        state.Next.Record(Stopwatch.GetElapsedTime(started));
        if (status is not (200 or 204))
        {
            throw new InvalidDataException($"next answered {status}");
        }
    }

    private static int Request(byte[] request, string head, byte[] middle, string tail, byte[] body)
    {
        var length = Encoding.ASCII.GetBytes(head, request);
        middle.CopyTo(request, length);
        length += middle.Length;
        length += Encoding.ASCII.GetBytes(tail, request.AsSpan(length));
        body.CopyTo(request, length);
        return length + body.Length;
    }

    private static async Task<SslStream> ConnectAsync(Uri server, X509Certificate2 trusted)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.Host, server.Port);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false,
            (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = server.Host });
        return tls;
    }

    /// <summary>Reads one response with a Content-Length body; returns the status and, when asked, the body as text.</summary>
    private static async Task<(int Status, string? Body)> ReadResponseAsync(SslStream tls, byte[] buffer, bool keepBody)
    {
        var filled = 0;
        while (true)
        {
            var read = await tls.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                continue;
            }

            var headers = buffer.AsSpan(0, end);
            if (!Utf8Parser.TryParse(headers[9..12], out int status, out _))
            {
                throw new InvalidDataException("not an HTTP response");
            }

            var contentLength = 0;
            var at = headers.IndexOf("\r\nContent-Length: "u8);
            if (at >= 0)
            {
                Utf8Parser.TryParse(headers[(at + 18)..], out contentLength, out _);
            }

            while (filled - end - 4 < contentLength)
            {
                var more = await tls.ReadAsync(buffer.AsMemory(filled));
                if (more == 0)
                {
                    throw new IOException("the server closed the connection");
                }

                filled += more;
            }

            return (status, keepBody ? Encoding.UTF8.GetString(buffer, end + 4, contentLength) : null);
        }
    }

    private sealed record AuthRequest(byte[] Body, byte[] Signature);

    private sealed class StormState(AuthRequest[] requests, int devices, byte[] inventoryBody)
    {
        public AuthRequest[] Requests { get; } = requests;

        public int Devices { get; } = devices;

        public byte[] InventoryBody { get; } = inventoryBody;

        public LatencyHistogram Auth { get; } = new();

        public LatencyHistogram Inventory { get; } = new();

        public LatencyHistogram Next { get; } = new();

        public long NextDevice;
        public long Done;
        public long Errors;
    }
}
