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
/// A generator of device requests (check-ins, or inventory PUTs) built to cost the server's two cores as little as possible: C keep-alive TLS
/// connections, each sending the v2 next request of the device after the last (round robin over N devices).
/// Closed loop (default): a connection sends as soon as the previous answer arrived. Open loop (<c>--rate R</c>):
/// request k is due at start + k/R whatever the answers do, a free connection sends it when due, and its latency
/// counts from the time it was due, so queueing behind a slow answer counts (no coordinated omission); the
/// generator's own lateness in sending is printed beside it. Requests are assembled into a reused buffer; only status line and headers are
/// parsed. Prints throughput, latency percentiles, the CPU split and the memory of the server (or of each watched process).
/// </summary>
internal static class CheckInLoad
{
    private static readonly byte[] NextBody = """{"device_provides":{"artifact_name":"bench-os-1","device_type":"pi4-v3-arm64","rootfs-image.version":"bench-os-1"},"update_control_map":true}"""u8.ToArray();

    /// <summary>What the simulator's devices send: 17 attributes.</summary>
    internal static readonly byte[] InventoryBody = Encoding.UTF8.GetBytes("[" + string.Join(',', new[]
    {
        ("device_type", "pi4-v3-arm64"), ("artifact_name", "bench-os-1"), ("rootfs-image.version", "bench-os-1"), ("mender_client_version", "3.4.0"),
        ("hostname", "bench-000001"), ("mac_eth0", "02:00:00:00:00:01"), ("os", "Debian GNU/Linux 11 (bullseye)"), ("kernel", "Linux version 5.15.32-v8+ (aarch64)"),
        ("cpu_model", "Cortex-A72 (ARMv8 Processor rev 3)"), ("mem_total_kB", "3882384"), ("uptime_seconds", "12345"), ("gitfleet_device_version", "0.1.0"),
        ("gitfleet_os_image", "bench-os-1"), ("gitfleet_config_checksum", "0f3c5a1e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"),
        ("gitfleet_subscribed_branch", "production"), ("gitfleet_expected_os_image", "bench-os-1"), ("gitfleet_config_matches_os_image", "true"),
    }.Select(a => $"{{\"name\":\"{a.Item1}\",\"value\":\"{a.Item2}\"}}")) + "]");

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var server = new Uri(args.Text("server"));
        var devices = args.Int("devices");
        var connections = args.Int("connections", 64);
        var kind = args.Optional("kind") ?? "next";
        var (requestLine, body, expected) = kind switch
        {
            "next" => ("POST /api/devices/v2/deployments/device/deployments/next", NextBody, 204),
            "inventory" => ("PUT /api/devices/v1/inventory/device/attributes", InventoryBody, 200),
            _ => throw new ArgumentException($"--kind {kind}: next or inventory"),
        };
        var warmup = TimeSpan.FromSeconds(args.Seconds("warmup", 5));
        var duration = TimeSpan.FromSeconds(args.Seconds("duration", 20));
        var serverPid = args.Optional("server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : (int?)null;
        var watched = WatchedProcess.Parse(args.Optional("watch"));
        var rate = args.Optional("rate") is { } r ? double.Parse(r, CultureInfo.InvariantCulture) : 0;
        var deviceTokens = LoadTokens(args.Text("tokens"), devices);
        var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(args.Text("ca")));

        var chunked = (args.Optional("chunked") ?? "true") == "true";
        var state = new LoadState(deviceTokens, requestLine, body, expected, chunked) { Schedule = rate > 0 ? new PacedSchedule(rate, Stopwatch.GetTimestamp()) : null };
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(() => ConnectionAsync(server, trusted, state, stop.Token))).ToArray();

        await Task.Delay(warmup);
        var before = CpuSample.Take(serverPid);
        var watchedBefore = watched.Select(w => w.Cpu()).ToArray();
        var latencyBefore = state.Latency.Snapshot();
        var lagBefore = state.SendLag.Snapshot();
        var countBefore = Interlocked.Read(ref state.Completed);
        var errorsBefore = Interlocked.Read(ref state.Errors);
        await Task.Delay(duration);
        var after = CpuSample.Take(serverPid);
        var watchedAfter = watched.Select(w => w.Cpu()).ToArray();
        var window = state.Latency.Snapshot().Since(latencyBefore);
        var lag = state.SendLag.Snapshot().Since(lagBefore);
        var completed = Interlocked.Read(ref state.Completed) - countBefore;
        var errors = Interlocked.Read(ref state.Errors) - errorsBefore;
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var seconds = (after.Wall - before.Wall).TotalSeconds;
        var (serverCores, generatorCores, machineCores) = CpuSample.Cores(before, after);
        var (rss, peak) = serverPid is { } p ? CpuSample.Memory(p) : (0, 0);
        var achieved = completed / seconds;
        var ms = (double percent) => window.Percentile(percent).TotalMilliseconds;
        var paced = rate > 0 ? string.Create(CultureInfo.InvariantCulture, $" (open loop at {rate:F0}/s; latency from the due time; sent late by p50 {lag.Percentile(50).TotalMilliseconds:F1} ms, p99 {lag.Percentile(99).TotalMilliseconds:F1} ms)") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{kind}{(chunked ? "" : " (Content-Length)")}: {devices} devices, {connections} connections, {seconds:F0} s: {achieved:F0} requests/s{paced}, p50 {ms(50):F1} ms, p90 {ms(90):F1} ms, p99 {ms(99):F1} ms, max {window.Percentile(100).TotalMilliseconds:F1} ms, {errors} errors; "
            + $"CPU: server {serverCores:F2} cores, generator {generatorCores:F2}, whole machine {machineCores:F2} of {CpuSample.MachineCores}; server RSS {rss:F0} MiB (peak {peak:F0})"));
        var processes = string.Concat(watched.Select((w, i) => string.Create(CultureInfo.InvariantCulture,
            $" {w.Name}_cpu={(watchedAfter[i] - watchedBefore[i]).TotalSeconds / seconds:F2} {w.Name}_rss_mib={w.Memory().Rss:F0} {w.Name}_peak_mib={w.Memory().Peak:F0}")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result rate={achieved:F0} p50={ms(50):F2} p90={ms(90):F2} p99={ms(99):F2} max={window.Percentile(100).TotalMilliseconds:F2} errors={errors} completed={completed} server_cpu={serverCores:F2} generator_cpu={generatorCores:F2} machine_cpu={machineCores:F2} rss_mib={rss:F0} peak_mib={peak:F0} server_us_per_request={serverCores * 1e6 / Math.Max(1, achieved):F0} late_p99={lag.Percentile(99).TotalMilliseconds:F2}{processes}"));
        return errors == 0 ? 0 : 1;
    }

    private static async Task ConnectionAsync(Uri server, X509Certificate2 trusted, LoadState state, CancellationToken cancellationToken)
    {
        var prefix = Encoding.ASCII.GetBytes($"{state.RequestLine} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer ");
        // As the 3.4 client sends authenticated requests: the body chunked, no Content-Length (--chunked false: one Content-Length).
        var suffix = Encoding.ASCII.GetBytes(state.Chunked
            ? $"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{state.Body.Length:x}\r\n"
            : $"\r\nContent-Type: application/json\r\nContent-Length: {state.Body.Length}\r\n\r\n");
        var trailer = state.Chunked ? "\r\n0\r\n\r\n"u8.ToArray() : [];
        var request = new byte[8192];
        var response = new byte[16384];
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(server.Host, server.Port, cancellationToken);
                await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false,
                    (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData));
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = server.Host }, cancellationToken);
                while (!cancellationToken.IsCancellationRequested)
                {
                    var index = Interlocked.Increment(ref state.Next) - 1;
                    var token = state.Tokens[(int)((ulong)index % (ulong)state.Tokens.Length)];
                    var length = 0;
                    prefix.CopyTo(request, length);
                    length += prefix.Length;
                    token.CopyTo(request, length);
                    length += token.Length;
                    suffix.CopyTo(request, length);
                    length += suffix.Length;
                    state.Body.CopyTo(request, length);
                    length += state.Body.Length;
                    trailer.CopyTo(request, length);
                    length += trailer.Length;
                    var started = Stopwatch.GetTimestamp();
                    if (state.Schedule is { } schedule)
                    {
                        var due = schedule.Due(index);
                        if (due > started)
                        {
                            await Task.Delay(Stopwatch.GetElapsedTime(started, due), cancellationToken);
                        }

                        state.SendLag.Record(Stopwatch.GetElapsedTime(due));
                        started = due;
                    }

                    await tls.WriteAsync(request.AsMemory(0, length), cancellationToken);
                    var status = await ReadResponseAsync(tls, response, cancellationToken);
                    state.Latency.Record(Stopwatch.GetElapsedTime(started));
                    Interlocked.Increment(ref state.Completed);
                    if (status != state.Expected)
                    {
                        Interlocked.Increment(ref state.Errors);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or System.Security.Authentication.AuthenticationException)
            {
                Interlocked.Increment(ref state.Errors);
            }
        }
    }

    /// <summary>Reads one response (status line, headers, a Content-Length body) and returns its status code.</summary>
    private static async Task<int> ReadResponseAsync(SslStream tls, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var read = await tls.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new InvalidDataException("response headers too long");
                }

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
            else if (headers.IndexOf("\r\nTransfer-Encoding: chunked"u8) >= 0)
            {
                throw new InvalidDataException($"a chunked answer (HTTP {status}): the benchmark expects answers with a Content-Length");
            }

            var remaining = contentLength - (filled - end - 4);
            while (remaining > 0)
            {
                var more = await tls.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, remaining)), cancellationToken);
                if (more == 0)
                {
                    throw new IOException("the server closed the connection");
                }

                remaining -= more;
            }

            return status;
        }
    }

    /// <summary>
    /// The tokens of devices 0..N-1 from a file of "index token" lines (as the registration writes them), as ASCII
    /// bytes, read line by line: a million tokens take some 300 MB as bytes, twice that as strings.
    /// </summary>
    private static byte[][] LoadTokens(string file, int devices)
    {
        var tokens = new byte[devices][];
        foreach (var line in File.ReadLines(file))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < devices)
            {
                tokens[index] = Encoding.ASCII.GetBytes(line, space + 1, line.Length - space - 1);
            }
        }

        var missing = Array.FindIndex(tokens, t => t is null);
        return missing < 0 ? tokens : throw new ArgumentException($"device {missing} has no token in {file}: register first");
    }

    private sealed class LoadState(byte[][] tokens, string requestLine, byte[] body, int expected, bool chunked)
    {
        public bool Chunked { get; } = chunked;

        public byte[][] Tokens { get; } = tokens;

        public string RequestLine { get; } = requestLine;

        public byte[] Body { get; } = body;

        public int Expected { get; } = expected;

        public LatencyHistogram Latency { get; } = new();

        /// <summary>Open loop: how late the generator sent each request after its due time.</summary>
        public LatencyHistogram SendLag { get; } = new();

        /// <summary>Open loop (--rate): when each request is due; null for the closed loop.</summary>
        public PacedSchedule? Schedule { get; init; }

        public long Next;
        public long Completed;
        public long Errors;
    }
}
