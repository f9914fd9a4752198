using System.Diagnostics;
using Gitfleet.Artifacts;
using Gitfleet.Artifacts.Delta;
using Gitfleet.Core.Delivery;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Generates one claimed delta: unpacks both images (once per artifact), encodes the delta, wraps it in a
/// <c>gitfleet-delta</c> artifact with the target's name, provides and extra files, reads that artifact back with the
/// same reader uploads go through, and records it ready (or failed, with the reason). A delta that is not clearly
/// smaller than the full artifact is recorded as failed: devices are better off with the full image.
/// </summary>
internal sealed partial class DeltaGenerator(
    IFleetStore store,
    DeltaFiles files,
    ImageCache images,
    DeliveryOptions options,
    TimeProvider time,
    ILogger<DeltaGenerator> logger)
{
    /// <summary>A delta must be smaller than this share of the full artifact to be worth offering.</summary>
    public const double WorthwhileShare = 0.9;

    public async Task GenerateAsync(DeltaRecord claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        var started = Stopwatch.GetTimestamp();
        DeltaRecord finished;
        try
        {
            var (fileName, size, checksum) = await BuildAsync(claimed, cancellationToken).ConfigureAwait(false);
            finished = claimed with
            {
                State = DeltaState.Ready, FileName = fileName, Size = size, Checksum = checksum,
                FinishedAt = time.GetUtcNow(), GenerationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            };
            Generated(logger, claimed.BaseImage, claimed.TargetImage, claimed.Key.DeviceType, size, claimed.TargetSize, finished.GenerationMs!.Value);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArtifactFormatException or TimeoutException or UnauthorizedAccessException)
        {
            finished = claimed with
            {
                State = DeltaState.Failed, Error = e.Message, FinishedAt = time.GetUtcNow(),
                GenerationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            };
            Failed(logger, claimed.BaseImage, claimed.TargetImage, claimed.Key.DeviceType, e.Message);
        }

        if (!await store.FinishDeltaAsync(finished, cancellationToken).ConfigureAwait(false) && finished.FileName is { } orphan)
        {
            // Another server took the claim over (this one was too slow): its result stands, this file goes.
            File.Delete(files.DeltaPath(orphan));
        }

        images.Prune();
    }

    private async Task<(string FileName, long Size, string Checksum)> BuildAsync(DeltaRecord claimed, CancellationToken cancellationToken)
    {
        var baseArtifact = await store.GetArtifactAsync(claimed.Key.BaseArtifactId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the base artifact was deleted");
        var targetArtifact = await store.GetArtifactAsync(claimed.Key.TargetArtifactId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the target artifact was deleted");
        var baseSource = DeltaSource.Of(baseArtifact) ?? throw new InvalidOperationException($"artifact {baseArtifact.Name} has no image file to make a delta from");
        var targetSource = DeltaSource.Of(targetArtifact) ?? throw new InvalidOperationException($"artifact {targetArtifact.Name} has no image file to make a delta to");
        var baseFiles = await images.GetAsync(baseArtifact, baseSource, cancellationToken).ConfigureAwait(false);
        var targetFiles = await images.GetAsync(targetArtifact, targetSource, cancellationToken).ConfigureAwait(false);

        var fileName = claimed.Id + ".mender";
        var output = files.DeltaPath(fileName);
        var vcdiff = DeltaFiles.TempFor(output) + DeltaArtifact.DeltaFileSuffix;
        var temp = DeltaFiles.TempFor(output);
        try
        {
            await DeltaEncoder.EncodeAsync(options.DeltaTool, baseFiles[baseSource.Image.Name], targetFiles[targetSource.Image.Name], vcdiff, options.DeltaTimeout, cancellationToken)
                .ConfigureAwait(false);
            var extras = targetSource.ExtraFiles.Select(f => ArtifactFileSource.FromFile(targetFiles[f.Name], f.Name)).ToList();
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await DeltaArtifact.WriteAsync(stream, new DeltaArtifactDefinition
                {
                    TargetName = targetArtifact.Name,
                    DeviceTypes = [claimed.Key.DeviceType],
                    Delta = ArtifactFileSource.FromFile(vcdiff, targetSource.Image.Name + DeltaArtifact.DeltaFileSuffix),
                    ExtraFiles = extras,
                    Provides = targetSource.Payload.Provides,
                    ClearsProvides = targetSource.Payload.ClearsProvides,
                    MetaData = new DeltaMetaData
                    {
                        Format = DeltaSupport.Xdelta3,
                        Image = targetSource.Image.Name,
                        DeltaFile = targetSource.Image.Name + DeltaArtifact.DeltaFileSuffix,
                        BaseVersion = baseSource.Version,
                        BaseSha256 = baseSource.Image.Checksum,
                        BaseSize = baseSource.Image.Size,
                        TargetVersion = targetSource.Version,
                        TargetSha256 = targetSource.Image.Checksum,
                        TargetSize = targetSource.Image.Size,
                    },
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            ArtifactInfo written;
            await using (var check = File.OpenRead(temp))
            {
                written = await ArtifactReader.ReadAsync(check, ArtifactReaderOptions.Default, cancellationToken).ConfigureAwait(false);
            }

            if (written.Size >= targetArtifact.Size * WorthwhileShare)
            {
                throw new InvalidOperationException(
                    $"the delta ({written.Size} bytes) is not smaller than {WorthwhileShare:P0} of the full artifact ({targetArtifact.Size} bytes): devices get the full image");
            }

            File.Move(temp, output, overwrite: true);
            return (fileName, written.Size, written.Checksum!);
        }
        finally
        {
            File.Delete(vcdiff);
            File.Delete(temp);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Delta {BaseImage} -> {TargetImage} ({DeviceType}) ready: {Size} bytes against {FullSize} for the full artifact, in {Milliseconds} ms")]
    private static partial void Generated(ILogger logger, string baseImage, string targetImage, string deviceType, long size, long fullSize, long milliseconds);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Delta {BaseImage} -> {TargetImage} ({DeviceType}) not generated, devices get the full image: {Reason}")]
    private static partial void Failed(ILogger logger, string baseImage, string targetImage, string deviceType, string reason);
}
