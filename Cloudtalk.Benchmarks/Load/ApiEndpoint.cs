using Cloudtalk.Benchmarks.Reporting;

namespace Cloudtalk.Benchmarks.Load;

/// <summary>
/// Where the scenarios send their requests. <c>./run.sh</c> serves the Api at :5080 through the AppHost's local proxy
/// (DCP), which costs a third of the throughput on two cores and does not exist in a deployment; so when exactly one
/// Api process runs on this machine, the scenarios go straight to its own port (read from its ASPNETCORE_URLS), and
/// get-by-id is measured through the proxy as well.
/// </summary>
public static class ApiEndpoint
{
    public static Uri Direct(Uri configured)
    {
        if (ServiceProcess.Find("Cloudtalk.Api") is not [var api])
        {
            return configured;
        }

        try
        {
            var urls = api.Environment("ASPNETCORE_URLS")?.Split(';', StringSplitOptions.RemoveEmptyEntries);
            var http = urls?.Select(url => new Uri(url)).FirstOrDefault(url => url.Scheme == Uri.UriSchemeHttp);
            // IPv4 loopback: "localhost" may resolve to ::1 first, and wrk then measures a different path.
            return http is null ? configured : new UriBuilder(http) { Host = "127.0.0.1" }.Uri;
        }
        catch (IOException)
        {
            return configured;
        }
        catch (UnauthorizedAccessException)
        {
            return configured;
        }
    }
}
