using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Cloudtalk.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cloudtalk.Tests.Foundation;

/// <summary>
/// The services' OTLP log export (<see cref="Extensions.AddServiceDefaults{TBuilder}"/> with an OTLP endpoint set, as
/// the AppHost sets it) sends an exception's type and message and never its stack trace. The real exporter posts to a
/// real HTTP endpoint speaking OTLP/HTTP; OTLP's protobuf keeps strings as UTF-8 bytes, so the payload can be searched
/// for them without decoding it.
/// </summary>
public sealed class OtlpLogExportTests
{
    private const string Innermost = "the innermost failure";

    [Fact]
    public async Task Exported_logs_carry_an_exceptions_type_and_message_but_no_stack_trace()
    {
        var payloads = new ConcurrentQueue<byte[]>();
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/v1/logs", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            payloads.Enqueue(body.ToArray());
            return Results.Ok();
        });
        await receiver.StartAsync();

        var failure = Failure();
        Assert.Contains(nameof(ThrowingFrameOnlyAStackTraceNames), failure.ToString(), StringComparison.Ordinal);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Urls.Single();
        builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        builder.AddServiceDefaults();
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Cloudtalk.Tests.OtlpExport");
            logger.LogError(failure, "Logged with its exception.");
            // As EF Core's QueryIterationFailed does: the exception's whole text in the message, and as an argument.
            logger.LogError("Logged inside the message.{NewLine}{Exception}", Environment.NewLine, failure);
            await host.StopAsync();
        }

        // Disposing the host shut the logger provider down, which exports what it still held.
        var payload = string.Join('\n', payloads.Select(Encoding.UTF8.GetString));
        Assert.Contains("Logged with its exception.", payload, StringComparison.Ordinal);
        Assert.Contains("Logged inside the message.", payload, StringComparison.Ordinal);
        Assert.Contains("exception.type", payload, StringComparison.Ordinal);
        Assert.Contains(typeof(ArgumentException).FullName!, payload, StringComparison.Ordinal);
        Assert.Contains(Innermost, payload, StringComparison.Ordinal);
        Assert.DoesNotContain("exception.stacktrace", payload, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(ThrowingFrameOnlyAStackTraceNames), payload, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", payload, StringComparison.Ordinal);
    }

    private static InvalidOperationException Failure()
    {
        try
        {
            ThrowingFrameOnlyAStackTraceNames();
            throw new UnreachableException();
        }
        catch (ArgumentException inner)
        {
            try
            {
                throw new InvalidOperationException("the outer failure", inner);
            }
            catch (InvalidOperationException outer)
            {
                return outer;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowingFrameOnlyAStackTraceNames() => throw new ArgumentException(Innermost);
}
