using System.Buffers;
using System.IO.Compression;
using Gitfleet.Artifacts.Tar;

namespace Gitfleet.Artifacts.Writing;

/// <summary>Builds header.tar.gz in memory: header-info, headers/0000/type-info and headers/0000/meta-data.</summary>
internal static class HeaderArchiveBuilder
{
    public const string EntryName = "header.tar.gz";

    public static byte[] Build(ArtifactPlan plan)
    {
        var tar = new ArrayBufferWriter<byte>(4096);
        var json = new ArrayBufferWriter<byte>(512);
        var builder = new TarBuilder(tar);

        HeaderJson.WriteHeaderInfo(json, plan);
        builder.AddFile("header-info", json.WrittenSpan);
        json.ResetWrittenCount();

        HeaderJson.WriteTypeInfo(json, plan);
        builder.AddFile("headers/0000/type-info", json.WrittenSpan);

        if (plan.MetaData is not null)
        {
            builder.AddFile("headers/0000/meta-data", plan.MetaData);
        }
        else if (plan.WriteEmptyMetaData)
        {
            builder.AddFile("headers/0000/meta-data", []);
        }

        builder.AddEnd();

        // A header is a few KiB of mostly zero padding: the fastest level compresses it nearly as well, at a
        // fraction of the cost of setting up the optimal one (this runs for every configuration deployment).
        return Gzip(tar.WrittenSpan, CompressionLevel.Fastest);
    }

    public static byte[] Gzip(ReadOnlySpan<byte> data, CompressionLevel level)
    {
        using var compressed = new MemoryStream(data.Length / 4 + 64);
        using (var gzip = new GZipStream(compressed, level, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return compressed.ToArray();
    }
}
