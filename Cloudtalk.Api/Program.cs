using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseApiErrorHandling();
app.MapDefaultEndpoints();
app.MapApiOpenApi();

app.MapProductsApi();
app.MapReviewsApi();
app.MapOperationsApi();

app.Run();
