using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Cloudtalk.ServiceDefaults.Logging;

/// <summary>
/// Replaces a log record's exception by the attributes <c>exception.type</c> and <c>exception.message</c> of its
/// innermost one (<see cref="SummarizedException"/>) before the OTLP exporter sees it: the exporter would send the whole
/// stack trace as <c>exception.stacktrace</c> and has no setting against it (open-telemetry/opentelemetry-dotnet#6068).
/// The formatted message and any exception passed as a message argument lose their stack frames too.
/// Registered before <c>UseOtlpExporter</c> adds the exporter, so it runs first.
/// </summary>
internal sealed class StackTraceFreeLogProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        if (data.FormattedMessage is { } formatted)
        {
            data.FormattedMessage = StackFrameText.Remove(formatted);
        }

        // A message argument that is an exception (EF Core's "{exception}") would be exported as its ToString().
        if (data.Attributes?.Any(attribute => attribute.Value is Exception) == true)
        {
            data.Attributes = [.. data.Attributes.Select(attribute => attribute.Value is Exception argument
                ? new KeyValuePair<string, object?>(attribute.Key, SummarizedException.Describe(argument))
                : attribute)];
        }

        if (data.Exception is not { } exception)
        {
            return;
        }

        var (type, message) = SummarizedException.Of(exception);
        data.Attributes = [.. data.Attributes ?? [], new("exception.type", type), new("exception.message", message)];
        data.Exception = null;
    }
}
