@echo off
rem NPS Kiosk from the Startup folder: put a shortcut to this file in
rem   shell:startup   (Win+R, type shell:startup) of the kiosk account.
rem Starts the kiosk again if it ever stops (the manager's Exit leaves for good: exit code 0).
:again
"C:\NPS\nps-kiosk\nps-kiosk.exe"
if %ERRORLEVEL% NEQ 0 (
  timeout /t 2 /nobreak >nul
  goto again
)
