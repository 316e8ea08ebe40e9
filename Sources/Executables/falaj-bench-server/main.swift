import WebServer
print(WebServerModule.name)
