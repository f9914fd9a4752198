using System.IO.Pipelines;
using Gitfleet.Server.Deployments;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gitfleet.Server.Metrics;

/// <summary>Counts the artifact bytes actually sent through download links (a client that hangs up counts what it got).</summary>
internal sealed class DownloadMeter(RequestDelegate next, ServerMetrics metrics)
{
    /// <summary>Any other path is handed on as it is, without an async frame here (every device request passes).</summary>
    public Task InvokeAsync(HttpContext context) =>
        context.Request.Path.StartsWithSegments(DownloadLinks.Prefix, StringComparison.Ordinal) ? MeterAsync(context) : next(context);

    private async Task MeterAsync(HttpContext context)
    {
        var inner = context.Features.Get<IHttpResponseBodyFeature>()!;
        var counting = new CountingBody(inner);
        context.Features.Set<IHttpResponseBodyFeature>(counting);
        try
        {
            await next(context).ConfigureAwait(false);
            await counting.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(inner);
            metrics.BytesServed(counting.Bytes);
        }
    }

    /// <summary>The response body feature, counting what goes through SendFileAsync and the stream.</summary>
    private sealed class CountingBody(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
    {
        private CountingStream? stream;
        private PipeWriter? writer;

        public long Bytes => Interlocked.Read(ref sent) + (stream?.Written ?? 0);

        private long sent;

        public Stream Stream => stream ??= new CountingStream(inner.Stream);

        // One writer per response, as StreamResponseBodyFeature keeps: a new one per access would drop what an earlier one buffered.
        public PipeWriter Writer => writer ??= PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true));

        public async Task CompleteAsync()
        {
            if (writer is not null)
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }

            await inner.CompleteAsync().ConfigureAwait(false);
        }

        /// <summary>Sends what the writer still buffers, before the response's own body feature is put back.</summary>
        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (writer is not null)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public void DisableBuffering() => inner.DisableBuffering();

        public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        {
            await inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref sent, count ?? new FileInfo(path).Length - offset);
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        private long written;

        public long Written => Interlocked.Read(ref written);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Interlocked.Add(ref written, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref written, buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
