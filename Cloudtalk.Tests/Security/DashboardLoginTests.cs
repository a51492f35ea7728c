using System.Net;
using System.Text.RegularExpressions;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// The Aspire dashboard of ./run.sh shows resources, logs, environment variables and commands such as "Reset
/// databases": it must open only with the login token the AppHost prints, never to whoever reaches its port.
/// Its own AppHost process (the tests' shared system runs without a dashboard), stopped with SIGTERM at the end.
/// </summary>
public sealed partial class DashboardLoginTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_dashboard_opens_only_with_the_printed_login_token()
    {
        await using var appHost = StandaloneAppHost.Start();
        var dashboard = new Uri((await appHost.WaitForLineAsync(ListeningLine(), StartTimeout)).Groups["url"].Value);

        // Without the token: sent to the login page (or refused), never shown the dashboard. First, because a dashboard
        // open to anyone would print no token at all.
        using (var stranger = new DashboardBrowser(dashboard))
        {
            await stranger.AssertNotLoggedInAsync();
        }

        var printed = await appHost.WaitForLineAsync(LoginLine(), StartTimeout);
        var loginUrl = new Uri(printed.Groups["url"].Value);
        var token = printed.Groups["token"].Value;
        Assert.Equal(dashboard.Authority, loginUrl.Authority);
        Assert.True(token.Length >= 16, $"The login token '{token}' is too short to be a secret.");

        // A wrong token (of the same shape as the AppHost's): the login page again, and still no dashboard.
        using (var guesser = new DashboardBrowser(dashboard))
        {
            using var attempt = await guesser.FollowAsync(new Uri(dashboard, $"/login?t={Guid.NewGuid():N}"));
            Assert.Equal("/login", attempt.RequestMessage?.RequestUri?.AbsolutePath);
            await guesser.AssertNotLoggedInAsync();
        }

        // The printed URL logs in: redirected to the dashboard, whose root then answers itself instead of redirecting.
        using (var owner = new DashboardBrowser(dashboard))
        {
            using var login = await owner.FollowAsync(loginUrl);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Equal("/", login.RequestMessage?.RequestUri?.AbsolutePath);
            using var root = await owner.GetRootAsync();
            Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        }

        // Stopped as a user stops ./run.sh, once it says it has started: a SIGTERM while it is still creating its resources
        // fails its start, and then its clean-up never runs and the run folder stays until the next start.
        await appHost.WaitForLineAsync(StartedLine(), StartTimeout);
        await appHost.StopAsync(StopTimeout);
    }

    // The only "Now listening on" the AppHost itself prints (the services' logs go to the dashboard): the dashboard's.
    [GeneratedRegex(@"Now listening on: (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();

    // As the AppHost logs it: "Login to the dashboard at http://localhost:PORT/login?t=TOKEN".
    [GeneratedRegex(@"Login to the dashboard at (?<url>https?://\S+/login\?t=(?<token>[^&\s]+))")]
    private static partial Regex LoginLine();

    [GeneratedRegex(@"Distributed application started\.")]
    private static partial Regex StartedLine();

    /// <summary>A browser's view of the dashboard: its own cookies, redirects followed or not as the step needs.</summary>
    private sealed class DashboardBrowser : IDisposable
    {
        private readonly Uri _dashboard;
        private readonly HttpClient _following;
        private readonly HttpClient _notFollowing;

        public DashboardBrowser(Uri dashboard)
        {
            _dashboard = dashboard;
            var cookies = new CookieContainer();
            _following = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = true })
            {
                Timeout = TimeSpan.FromSeconds(15),
            };
            _notFollowing = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
            {
                Timeout = TimeSpan.FromSeconds(15),
            };
        }

        public Task<HttpResponseMessage> FollowAsync(Uri url) => _following.GetAsync(url);

        public Task<HttpResponseMessage> GetRootAsync() => _notFollowing.GetAsync(_dashboard);

        /// <summary>The root answers with a redirect to the login page or a 401, and no page of its own.</summary>
        public async Task AssertNotLoggedInAsync()
        {
            using var root = await GetRootAsync();
            if (root.StatusCode == HttpStatusCode.Unauthorized)
            {
                return;
            }

            Assert.True(root.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.RedirectKeepVerb or HttpStatusCode.SeeOther,
                $"The dashboard root answered {(int)root.StatusCode} without a login.");
            var location = new Uri(_dashboard, root.Headers.Location!);
            Assert.Equal(_dashboard.Authority, location.Authority);
            Assert.Equal("/login", location.AbsolutePath);
        }

        public void Dispose()
        {
            _following.Dispose();
            _notFollowing.Dispose();
        }
    }
}
