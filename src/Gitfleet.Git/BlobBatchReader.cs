using System.Globalization;
using System.Text;

namespace Gitfleet.Git;

/// <summary>What reading one blob gave: its text, or why it cannot be used.</summary>
internal readonly record struct BlobText(string? Text, string? Problem);

/// <summary>
/// Reads blobs through <c>git cat-file --batch</c>: each distinct object once (a fleet's host_vars often share
/// their contents), their sizes from the answers' headers (no separate size pass over the objects), and a long
/// list split over as many processes as there are cores (at most <see cref="MaxProcesses"/>), since inflating
/// thousands of loose objects is git's CPU, not ours.
/// </summary>
internal static class BlobBatchReader
{
    /// <summary>Processes at most; each reads a contiguous part of the list.</summary>
    public const int MaxProcesses = 4;

    /// <summary>Fewer objects than this per process are not worth another git process.</summary>
    private const int MinObjectsPerProcess = 256;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads the given objects (distinct SHAs); texts larger than <paramref name="maxBytes"/> are not kept.</summary>
    public static async Task<Dictionary<string, BlobText>> ReadAsync(string gitDirectory, IReadOnlyList<string> shas, int maxBytes, CancellationToken cancellationToken)
    {
        var processes = Math.Clamp(Math.Min(Environment.ProcessorCount, shas.Count / MinObjectsPerProcess), 1, MaxProcesses);
        var per = (shas.Count + processes - 1) / processes;
        var parts = Enumerable.Range(0, processes)
            .Select(p => shas.Skip(p * per).Take(per).ToList())
            .Where(part => part.Count > 0)
            .Select(part => ReadPartAsync(gitDirectory, part, maxBytes, cancellationToken))
            .ToList();
        var texts = new Dictionary<string, BlobText>(shas.Count, StringComparer.Ordinal);
        foreach (var part in await Task.WhenAll(parts).ConfigureAwait(false))
        {
            for (var i = 0; i < part.Shas.Count; i++)
            {
                texts[part.Shas[i]] = part.Texts[i];
            }
        }

        return texts;
    }

    private static async Task<(List<string> Shas, BlobText[] Texts)> ReadPartAsync(string gitDirectory, List<string> shas, int maxBytes, CancellationToken cancellationToken)
    {
        var texts = new BlobText[shas.Count];
        var result = await ProcessRunner.RunStreamingAsync(
            "git",
            ["-C", gitDirectory, "cat-file", "--batch", "--buffer"],
            async (stdout, ct) =>
            {
                var reader = new AnswerReader(stdout);
                for (var i = 0; i < shas.Count; i++)
                {
                    texts[i] = await reader.ReadObjectAsync(maxBytes, ct).ConfigureAwait(false);
                }
            },
            environment: GitCli.Environment,
            writeStdin: async (stdin, ct) =>
            {
                var request = new StringBuilder(shas.Count * 41);
                foreach (var sha in shas)
                {
                    request.Append(sha).Append('\n');
                }

                await stdin.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), ct).ConfigureAwait(false);
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new GitCommandException($"git cat-file failed: {result.StandardError.Trim()}");
        }

        return (shas, texts);
    }

    /// <summary>Reads git cat-file --batch output: "&lt;sha&gt; &lt;type&gt; &lt;size&gt;\n&lt;content&gt;\n".</summary>
    private sealed class AnswerReader(Stream stream)
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private int start;
        private int end;

        public async Task<BlobText> ReadObjectAsync(int maxBytes, CancellationToken cancellationToken)
        {
            var header = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            var fields = header.Split(' ');
            if (fields.Length != 3 || fields[1] != "blob")
            {
                throw new GitCommandException($"unexpected git cat-file answer: {header}");
            }

            var size = long.Parse(fields[2], CultureInfo.InvariantCulture);
            var content = size > maxBytes ? null : new byte[size];
            var read = 0L;
            while (read < size)
            {
                if (start == end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new GitCommandException("git cat-file ended early");
                }

                var count = (int)Math.Min(size - read, end - start);
                if (content is not null)
                {
                    Buffer.BlockCopy(buffer, start, content, (int)read, count);
                }

                start += count;
                read += count;
            }

            await ReadLineAsync(cancellationToken).ConfigureAwait(false); // the newline after the content
            if (content is null)
            {
                return new BlobText(null, $"file is {size} bytes; fleet files are limited to {maxBytes} bytes");
            }

            try
            {
                var text = StrictUtf8.GetString(content);
                return new BlobText(text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text, null);
            }
            catch (DecoderFallbackException)
            {
                return new BlobText(null, "file is not UTF-8 text");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new List<byte>();
            while (true)
            {
                if (start == end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new GitCommandException("git cat-file ended early");
                }

                var b = buffer[start++];
                if (b == (byte)'\n')
                {
                    return Encoding.ASCII.GetString([.. line]);
                }

                line.Add(b);
            }
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            start = 0;
            end = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return end > 0;
        }
    }
}
