#!/bin/sh
# Draws the example storyboards' images with ffmpeg's filters: nothing taken
# from anywhere, so they are free of rights. The PNGs are committed; run this
# only to change them (from this folder): sh make_assets.sh
set -e
img() { ffmpeg -v error -y -f lavfi -i "color=c=$2:s=$3,format=rgb24" -frames:v 1 -vf "$4" "$1"; }

# The two landscapes are 960x540, the size of a 540p 16:9 frame, so that a
# start/end shot can go from a 540p shot's last frame to one of them (Vidu wants
# start and end frames within 0.8-1.25 of each other in pixel count).

# A lighthouse on a cliff by day (img2video).
img cliff.png black 640x360 "geq=r='if(lt(Y,200), 120+100*Y/200, if(gt(X,380+Y/3), 90, 40))':g='if(lt(Y,200), 170+60*Y/200, if(gt(X,380+Y/3), 80, 90))':b='if(lt(Y,200), 230, if(gt(X,380+Y/3), 60, 150+20*sin(X/7)))',drawbox=x=520:y=70:w=30:h=140:c=0xf4f4f0:t=fill,drawbox=x=520:y=100:w=30:h=18:c=0xc03028:t=fill,drawbox=x=520:y=150:w=30:h=18:c=0xc03028:t=fill,drawbox=x=514:y=52:w=42:h=20:c=0x303438:t=fill,scale=960:540:flags=bicubic"

# The lighthouse at dusk, its lamp lit (the end frame of a start/end shot).
img dusk.png black 640x360 "geq=r='if(lt(Y,220), 20+80*Y/220, if(lt(Y,232), 230, 10+10*sin(X/9)))':g='if(lt(Y,220), 20+40*Y/220, if(lt(Y,232), 120, 30+10*sin(X/9)))':b='if(lt(Y,220), 70+60*(1-Y/220), if(lt(Y,232), 40, 70+15*sin(X/9)))',drawbox=x=470:y=120:w=26:h=110:c=0x101010:t=fill,drawbox=x=464:y=104:w=38:h=18:c=0xffd060:t=fill,drawbox=x=460:y=96:w=46:h=8:c=0x101010:t=fill,scale=960:540:flags=bicubic"

# The keeper in a yellow coat, and the lamp: the two references.
img keeper.png 0x8a9aa8 384x384 "drawbox=x=152:y=60:w=80:h=70:c=0xe8c9a0:t=fill,drawbox=x=140:y=40:w=104:h=30:c=0x1c2a3a:t=fill,drawbox=x=120:y=130:w=144:h=170:c=0xf2c230:t=fill,drawbox=x=100:y=140:w=30:h=120:c=0xf2c230:t=fill,drawbox=x=254:y=140:w=30:h=120:c=0xf2c230:t=fill,drawbox=x=135:y=300:w=50:h=84:c=0x20262e:t=fill,drawbox=x=200:y=300:w=50:h=84:c=0x20262e:t=fill"
img lamp.png black 384x384 "geq=r='clip(40+230*exp(-(pow(X-192,2)+pow(Y-170,2))/3000),0,255)':g='clip(30+200*exp(-(pow(X-192,2)+pow(Y-170,2))/3000),0,255)':b='clip(50+90*exp(-(pow(X-192,2)+pow(Y-170,2))/6000),0,255)',drawbox=x=150:y=240:w=84:h=60:c=0x303030:t=fill,drawbox=x=140:y=110:w=104:h=10:c=0x303030:t=fill"
