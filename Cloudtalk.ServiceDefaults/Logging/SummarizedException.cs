namespace Cloudtalk.ServiceDefaults.Logging;

/// <summary>
/// What the logs keep of an exception: the type and message of the innermost one, never its stack trace. Logs leave
/// the process (the dashboard, any OTLP collector), and a stack trace there tells an outsider how the service is built.
/// </summary>
internal static class SummarizedException
{
    public static (string Type, string Message) Of(Exception exception)
    {
        var innermost = exception.GetBaseException();
        return (innermost.GetType().FullName ?? innermost.GetType().Name, innermost.Message);
    }

    /// <summary>The summary as one line of text: "Type: message".</summary>
    public static string Describe(Exception exception)
    {
        var (type, message) = Of(exception);
        return $"{type}: {message}";
    }
}
