using System.Buffers;
using System.Threading.Channels;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// Reads a facts document in one forward pass over pooled buffers: a <see cref="DeviceSplitter"/> cuts the
/// device objects out as the bytes arrive (from a file, stdin or an HTTP response, never held whole), and one
/// <see cref="DeviceParser"/> per core parses them, so both cores work and memory holds only what is kept.
/// </summary>
internal static class FactsReader
{
    private const int ChunkBytes = 1 << 20;

    private static int Workers => Math.Clamp(Environment.ProcessorCount, 1, 8);

    public static FactsDocument Read(ReadOnlySpan<byte> json, FactsProjection projection)
    {
        var batches = new List<DeviceBatch>();
        try
        {
            var splitter = new DeviceSplitter(batches.Add);
            ReadOnlyMemory<byte> skeleton = default;
            FactsFormatException? splitError = null;
            try
            {
                splitter.Scan(json);
                skeleton = splitter.Complete();
            }
            catch (FactsFormatException e)
            {
                splitError = e; // Devices before the problem may hold an earlier one: they are parsed first.
            }

            var parsed = new DeviceFacts[batches.Count][];
            var errors = new FactsFormatException?[batches.Count];
            var workers = batches.Count < 4 ? 1 : Math.Min(Workers, batches.Count);
            Parallel.For(0, workers, worker =>
            {
                var parser = new DeviceParser(projection);
                for (var b = worker; b < batches.Count; b += workers)
                {
                    try
                    {
                        parsed[b] = parser.Parse(batches[b]);
                    }
                    catch (FactsFormatException e)
                    {
                        errors[b] = e;
                    }
                }
            });
            ThrowFirst(errors);
            if (splitError is not null)
            {
                throw splitError;
            }

            return Assemble(skeleton, splitter.Cut, parsed, splitter.Devices, projection);
        }
        finally
        {
            foreach (var batch in batches)
            {
                batch.Dispose();
            }
        }
    }

    public static async Task<FactsDocument> ReadAsync(Stream json, FactsProjection projection, CancellationToken cancellationToken)
    {
        var workers = Workers;
        var channel = Channel.CreateBounded<DeviceBatch>(new BoundedChannelOptions(workers * 4) { SingleWriter = true });
        var ready = new Queue<DeviceBatch>();
        var splitter = new DeviceSplitter(ready.Enqueue);
        var parsed = new List<DeviceFacts[]?>();
        var errors = new SortedDictionary<int, FactsFormatException>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() => ParseAsync(channel.Reader, projection, parsed, errors, stop, cancellationToken), CancellationToken.None)).ToArray();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        ReadOnlyMemory<byte> skeleton = default;
        FactsFormatException? splitError = null;
        try
        {
            int read;
            while ((read = await json.ReadAsync(buffer.AsMemory(0, ChunkBytes), stop.Token).ConfigureAwait(false)) > 0)
            {
                splitter.Scan(buffer.AsSpan(0, read));
                while (ready.TryDequeue(out var batch))
                {
                    await channel.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
                }
            }

            skeleton = splitter.Complete();
            while (ready.TryDequeue(out var batch))
            {
                await channel.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
            }
        }
        catch (FactsFormatException e)
        {
            splitError = e; // Devices before the problem may hold an earlier one: they are parsed first.
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A reader thread found a problem; it is thrown below.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            channel.Writer.TryComplete();
            while (ready.TryDequeue(out var batch))
            {
                batch.Dispose();
            }
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        ThrowFirst(errors.Values);
        if (splitError is not null)
        {
            throw splitError;
        }

        return Assemble(skeleton, splitter.Cut, [.. parsed.Select(p => p!)], splitter.Devices, projection);
    }

    private static async Task ParseAsync(
        ChannelReader<DeviceBatch> batches,
        FactsProjection projection,
        List<DeviceFacts[]?> parsed,
        SortedDictionary<int, FactsFormatException> errors,
        CancellationTokenSource stop,
        CancellationToken cancellationToken)
    {
        var parser = new DeviceParser(projection);
        await foreach (var batch in batches.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            using (batch)
            {
                try
                {
                    var devices = parser.Parse(batch);
                    lock (parsed)
                    {
                        while (parsed.Count <= batch.Number)
                        {
                            parsed.Add(null);
                        }

                        parsed[batch.Number] = devices;
                    }
                }
                catch (FactsFormatException e)
                {
                    lock (errors)
                    {
                        errors[batch.Number] = e;
                    }

                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static void ThrowFirst(IEnumerable<FactsFormatException?> errors)
    {
        if (errors.FirstOrDefault(e => e is not null) is { } first)
        {
            throw first;
        }
    }

    /// <summary>The document around the devices, and the devices in their order.</summary>
    private static FactsDocument Assemble(ReadOnlyMemory<byte> skeleton, SkeletonCut? cut, DeviceFacts[][] parsed, int count, FactsProjection projection)
    {
        var (schema, generatedAt, catalog, others) = DocumentParser.Parse(skeleton.Span, cut, count, projection);
        var devices = new DeviceFacts[count + others.Count];
        var next = 0;
        foreach (var batch in parsed)
        {
            batch.CopyTo(devices, next);
            next += batch.Length;
        }

        others.CopyTo(devices, next);
        return new FactsDocument { Schema = schema, GeneratedAt = generatedAt, Devices = devices, Catalog = catalog };
    }
}
